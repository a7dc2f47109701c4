//! Build script: says once, at build time, when this build's SIMD path will be slow.
//!
//! `wide` chooses its code path from the target features the compiler is given, not at run time:
//! without AVX2 and FMA, `f64x4` runs as two SSE2 halves with an unfused `mul_add`. That is
//! correct but about half the speed, and easy to miss, so the build says so with the fix.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Cargo sets these from the target and RUSTFLAGS; a change of flags reruns this script.
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let has = |feature: &str| features.split(',').any(|f| f == feature);
    if arch == "x86_64" && !(has("avx2") && has("fma")) {
        println!(
            "cargo:warning=pairkernel is being built without AVX2+FMA: wide::f64x4 will run as \
             two SSE2 halves with an unfused mul_add, about half the speed. Build with \
             RUSTFLAGS=\"-C target-cpu=native\" (or \"-C target-feature=+avx2,+fma\")."
        );
    }
}
