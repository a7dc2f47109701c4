//! What `Plan::measure` picks on this machine, beside what `Auto` picks, for a few sizes: the
//! time of every candidate, then the measured plan and the default one filling the same
//! reused matrix, interleaved.
//!
//! ```sh
//! cargo run --release --example measure                      # N = 1000, 3000, 10000
//! cargo run --release --example measure -- 2000 fast         # one size, Accuracy::Fast
//! ```

use std::time::Instant;

use pairkernel::{Accuracy, KernelMatrix, Nodes, Plan};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sizes = Vec::new();
    let mut accuracy = Accuracy::Compensated;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "fast" => accuracy = Accuracy::Fast,
            "compensated" => accuracy = Accuracy::Compensated,
            n => sizes.push(n.parse::<usize>()?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1000, 3000, 10_000];
    }
    println!(
        "SIMD path {}, {accuracy:?} entries",
        pairkernel::simd::SimdPath::detected()?
    );
    for n in sizes {
        let nodes = Nodes::try_random(n, &mut StdRng::seed_from_u64(n as u64))?;
        let auto = Plan::new().accuracy(accuracy);
        let measured = auto.clone().measure(&nodes)?;
        let measurement = measured.measurement().expect("just measured");
        println!("N = {n}:");
        for c in &measurement.candidates {
            let marker = if *c == measurement.chosen {
                "  <- chosen"
            } else {
                ""
            };
            println!(
                "  {:<10} {:<10} {:8.2} ms  {:5.2} G entries/s{marker}",
                format!("{:?}", c.schedule),
                format!("{:?}", c.stores),
                c.seconds * 1e3,
                (n * n) as f64 / c.seconds / 1e9
            );
        }
        // The measured plan against Auto's rules, into the same reused matrix.
        let mut out = KernelMatrix::zeros(n, n)?;
        let (mut best_auto, mut best_measured) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            for (plan, best) in [(&auto, &mut best_auto), (&measured, &mut best_measured)] {
                let start = Instant::now();
                plan.kernel_matrix_into(&nodes, out.as_mut_slice())?;
                *best = best.min(start.elapsed().as_secs_f64());
            }
        }
        println!(
            "  Auto {:.2} ms, measured {:.2} ms: measured / Auto speed {:.2}",
            best_auto * 1e3,
            best_measured * 1e3,
            best_auto / best_measured
        );
    }
    Ok(())
}
