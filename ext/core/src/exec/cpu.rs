//! The CPU features of the runtime-dispatched builds of the codec loops
//! (each codec's `arch` module compiles safe code a second time with
//! `#[target_feature]` and calls it only when these say so). std caches the
//! detection: a call is an atomic load.

/// LZCNT, BMI1 and BMI2 (the JPEG-LS decoder's line loops).
pub fn lzcnt_bmi() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("lzcnt")
            && std::arch::is_x86_feature_detected!("bmi1")
            && std::arch::is_x86_feature_detected!("bmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// AVX2 with LZCNT, BMI1 and BMI2 (the JPEG-LS and JPEG Lossless encoders'
/// loops).
pub fn avx2_lzcnt_bmi() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && lzcnt_bmi()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
