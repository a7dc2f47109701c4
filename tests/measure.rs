//! `Plan::measure`: what it times, when its choice is used, and that the bits never change.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use pairkernel::{Accuracy, Error, Kernel, KernelMatrix, Nodes, Plan, Schedule, Stores};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn nodes(n: usize) -> Nodes {
    Nodes::random(n, &mut StdRng::seed_from_u64(n as u64))
}

#[test]
fn every_candidate_is_timed_and_the_fastest_is_chosen() {
    let nodes = nodes(200);
    let plan = Plan::new().threads(2).measure(&nodes).unwrap();
    let measurement = plan
        .measurement()
        .expect("a measured plan has its measurement");
    assert_eq!(measurement.nodes, (200, 3));
    let expected: Vec<(Schedule, Stores)> = [Schedule::Rows, Schedule::Symmetric]
        .into_iter()
        .flat_map(|schedule| {
            let stores = if Stores::streaming_available() {
                vec![Stores::Plain, Stores::Streaming]
            } else {
                vec![Stores::Plain]
            };
            stores.into_iter().map(move |stores| (schedule, stores))
        })
        .collect();
    let timed: Vec<_> = measurement
        .candidates
        .iter()
        .map(|c| (c.schedule, c.stores))
        .collect();
    assert_eq!(timed, expected);
    for candidate in &measurement.candidates {
        assert!(
            candidate.seconds.is_finite() && candidate.seconds > 0.0,
            "{candidate:?}"
        );
        assert!(measurement.chosen.seconds <= candidate.seconds);
    }
    assert!(measurement.candidates.contains(&measurement.chosen));
}

#[test]
fn a_measured_plan_gives_the_same_bits_into_any_buffer() {
    for kernel in [Kernel::Phi, Kernel::Gaussian { epsilon: 0.7 }] {
        for accuracy in [Accuracy::Compensated, Accuracy::Fast] {
            // 96 nodes: rows of whole cache lines; 97: not.
            for n in [96, 97] {
                let nodes = nodes(n);
                let plan = Plan::new().kernel(kernel).accuracy(accuracy);
                let expected = plan.kernel_matrix(&nodes).unwrap();
                let measured = plan.clone().measure(&nodes).unwrap();
                // A reused aligned matrix (the measured case), a Vec, a buffer at an odd
                // offset, and a new matrix.
                let mut aligned = KernelMatrix::zeros(n, n).unwrap();
                measured
                    .kernel_matrix_into(&nodes, aligned.as_mut_slice())
                    .unwrap();
                assert_eq!(aligned, expected, "{kernel:?} {accuracy:?} N = {n}");
                let mut shifted = vec![f64::NAN; n * n + 1];
                measured
                    .kernel_matrix_into(&nodes, &mut shifted[1..])
                    .unwrap();
                assert_eq!(&shifted[1..], expected.as_slice());
                assert_eq!(measured.kernel_matrix(&nodes).unwrap(), expected);
                // Other sizes keep the Auto rules, and the products are unaffected.
                let other = self::nodes(n + 8);
                assert_eq!(
                    measured.kernel_matrix(&other).unwrap(),
                    plan.kernel_matrix(&other).unwrap()
                );
                let x: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
                let (mut y, mut y_measured) = (vec![0.0; n], vec![0.0; n]);
                plan.apply(&nodes, &x, &mut y).unwrap();
                measured.apply(&nodes, &x, &mut y_measured).unwrap();
                assert_eq!(y, y_measured);
            }
        }
    }
}

#[test]
fn changing_what_was_measured_retires_the_measurement() {
    let nodes = nodes(64);
    let measured = Plan::new().threads(1).measure(&nodes).unwrap();
    assert!(measured.measurement().is_some());
    assert!(
        measured
            .clone()
            .cancel_on(Arc::new(AtomicBool::new(false)))
            .measurement()
            .is_some()
    );
    assert!(measured.clone().threads(2).measurement().is_none());
    assert!(
        measured
            .clone()
            .accuracy(Accuracy::Fast)
            .measurement()
            .is_none()
    );
    assert!(measured.clone().tile(8, 8).measurement().is_none());
    assert!(
        measured
            .clone()
            .kernel(Kernel::Cubic { epsilon: 1.0 })
            .measurement()
            .is_none()
    );
    // Back to the settings it was taken with: in use again.
    assert!(
        measured
            .clone()
            .threads(2)
            .threads(1)
            .measurement()
            .is_some()
    );
}

#[test]
fn measuring_reports_the_plans_errors() {
    let nodes = nodes(16);
    assert!(matches!(
        Plan::new().tile(0, 8).measure(&nodes),
        Err(Error::InvalidTile { .. })
    ));
    let stop = Arc::new(AtomicBool::new(true));
    assert_eq!(
        Plan::new().cancel_on(stop).measure(&nodes).unwrap_err(),
        Error::Cancelled
    );
}
