//! The scan loops ([`super::scan::run`]) compiled a second time for x86-64
//! CPUs with AVX2, LZCNT, BMI1 and BMI2, chosen at run time (as the JPEG-LS
//! encoder's `arch_enc`): same source, same output, only the instruction
//! selection differs (the difference pass vectorises to AVX2, SSSS is one
//! `lzcnt`, the bit packing uses `shlx`/`shrx`). Tests run both this and the
//! portable build.
#![allow(unsafe_code)]

use super::scan::{self, Params, Sample, Sink};

/// Whether this CPU runs [`run`].
pub fn available() -> bool {
    crate::exec::cpu::avx2_lzcnt_bmi()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,lzcnt,bmi1,bmi2")]
unsafe fn run_avx2<T: Sample, S: Sink>(samples: &[T], p: Params, sink: &mut S) {
    scan::run::<T, S>(samples, p, sink)
}

/// [`scan::run`] built with AVX2/LZCNT/BMI2. Only call it when
/// [`available`] says so (it falls back to the portable loop elsewhere).
pub(crate) fn run<T: Sample, S: Sink>(samples: &[T], p: Params, sink: &mut S) {
    #[cfg(target_arch = "x86_64")]
    {
        debug_assert!(available());
        // SAFETY: callers use `run` only after `available()` confirmed that
        // the CPU supports AVX2, LZCNT, BMI1 and BMI2 (see `super::run_on`).
        unsafe { run_avx2::<T, S>(samples, p, sink) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scan::run::<T, S>(samples, p, sink)
    }
}
