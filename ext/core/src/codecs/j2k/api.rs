//! The OpenJPEG functions the decoder calls, as a table of function pointers,
//! one per compiled copy of the same sources (see `build.rs`): x86-64-v3
//! (symbols prefixed `dicodec_v3_`), portable (`dicodec_base_`), and
//! `openjpeg-sys`'s own build (the portable one where `build.rs` could not
//! compile its copies). `Auto` is chosen once from the CPU's features.

#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

use openjpeg_sys as opj;
use opj::{opj_codec_t, opj_dparameters_t, opj_image_t, opj_stream_t, OPJ_BOOL};

use super::OpenJpegBuild;

/// Forces the portable build when set to `1` (read once per process).
pub(super) const PORTABLE_ENV: &str = "DICODEC_J2K_PORTABLE";

macro_rules! api {
    ($( fn $name:ident ( $($arg:ident : $ty:ty),* ) $(-> $ret:ty)? ; )*) => {
        /// One build's decoder functions.
        pub(super) struct Api {
            pub build: OpenJpegBuild,
            $( pub $name: unsafe extern "C" fn($($ty),*) $(-> $ret)?, )*
        }

        /// `openjpeg-sys`'s build (compiled without `-march`).
        #[cfg(not(dicodec_openjpeg_base))]
        static PORTABLE: Api = Api { build: OpenJpegBuild::Portable, $( $name: opj::$name, )* };

        #[cfg(dicodec_openjpeg_base)]
        mod base {
            use super::*;
            extern "C" {
                $(
                    #[link_name = concat!("dicodec_base_", stringify!($name))]
                    pub fn $name($($arg: $ty),*) $(-> $ret)?;
                )*
            }
        }

        /// build.rs's portable copy.
        #[cfg(dicodec_openjpeg_base)]
        static PORTABLE: Api = Api { build: OpenJpegBuild::Portable, $( $name: base::$name, )* };

        #[cfg(dicodec_openjpeg_v3)]
        mod v3 {
            use super::*;
            extern "C" {
                $(
                    #[link_name = concat!("dicodec_v3_", stringify!($name))]
                    pub fn $name($($arg: $ty),*) $(-> $ret)?;
                )*
            }
        }

        /// The x86-64-v3 build (only called when the CPU has its features).
        #[cfg(dicodec_openjpeg_v3)]
        static V3: Api = Api { build: OpenJpegBuild::X86_64V3, $( $name: v3::$name, )* };
    };
}

api! {
    fn opj_create_decompress(format: opj::OPJ_CODEC_FORMAT) -> *mut opj_codec_t;
    fn opj_destroy_codec(codec: *mut opj_codec_t);
    fn opj_set_info_handler(codec: *mut opj_codec_t, f: opj::opj_msg_callback, data: *mut c_void) -> OPJ_BOOL;
    fn opj_set_warning_handler(codec: *mut opj_codec_t, f: opj::opj_msg_callback, data: *mut c_void) -> OPJ_BOOL;
    fn opj_set_error_handler(codec: *mut opj_codec_t, f: opj::opj_msg_callback, data: *mut c_void) -> OPJ_BOOL;
    fn opj_set_default_decoder_parameters(params: *mut opj_dparameters_t);
    fn opj_setup_decoder(codec: *mut opj_codec_t, params: *mut opj_dparameters_t) -> OPJ_BOOL;
    fn opj_codec_set_threads(codec: *mut opj_codec_t, n: c_int) -> OPJ_BOOL;
    fn opj_read_header(stream: *mut opj_stream_t, codec: *mut opj_codec_t, image: *mut *mut opj_image_t) -> OPJ_BOOL;
    fn opj_decode(codec: *mut opj_codec_t, stream: *mut opj_stream_t, image: *mut opj_image_t) -> OPJ_BOOL;
    fn opj_end_decompress(codec: *mut opj_codec_t, stream: *mut opj_stream_t) -> OPJ_BOOL;
    fn opj_image_destroy(image: *mut opj_image_t);
    fn opj_stream_create(size: usize, input: OPJ_BOOL) -> *mut opj_stream_t;
    fn opj_stream_destroy(stream: *mut opj_stream_t);
    fn opj_stream_set_read_function(stream: *mut opj_stream_t, f: opj::opj_stream_read_fn);
    fn opj_stream_set_skip_function(stream: *mut opj_stream_t, f: opj::opj_stream_skip_fn);
    fn opj_stream_set_seek_function(stream: *mut opj_stream_t, f: opj::opj_stream_seek_fn);
    fn opj_stream_set_user_data(stream: *mut opj_stream_t, data: *mut c_void, free: opj::opj_stream_free_user_data_fn);
    fn opj_stream_set_user_data_length(stream: *mut opj_stream_t, len: u64);
}

/// Whether the x86-64-v3 build was compiled in and this CPU runs it.
fn v3_usable() -> bool {
    #[cfg(all(dicodec_openjpeg_v3, target_arch = "x86_64"))]
    {
        static USABLE: OnceLock<bool> = OnceLock::new();
        *USABLE.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("bmi1")
                && std::arch::is_x86_feature_detected!("bmi2")
                && std::arch::is_x86_feature_detected!("fma")
                && std::arch::is_x86_feature_detected!("f16c")
                && std::arch::is_x86_feature_detected!("lzcnt")
                && std::arch::is_x86_feature_detected!("movbe")
        })
    }
    #[cfg(not(all(dicodec_openjpeg_v3, target_arch = "x86_64")))]
    false
}

/// The builds this binary can run, fastest first.
pub(super) fn available() -> Vec<OpenJpegBuild> {
    let mut v = Vec::new();
    if v3_usable() {
        v.push(OpenJpegBuild::X86_64V3);
    }
    v.push(OpenJpegBuild::Portable);
    v
}

/// The table of `build` (`Auto`: the fastest usable one, unless
/// [`PORTABLE_ENV`] is `1`); `None` when that build is not usable here.
pub(super) fn get(build: OpenJpegBuild) -> Option<&'static Api> {
    match build {
        OpenJpegBuild::Portable => Some(&PORTABLE),
        OpenJpegBuild::X86_64V3 => v3(),
        OpenJpegBuild::Auto => {
            static AUTO: OnceLock<&'static Api> = OnceLock::new();
            Some(AUTO.get_or_init(|| {
                let forced = std::env::var_os(PORTABLE_ENV).is_some_and(|v| v == "1");
                if forced {
                    &PORTABLE
                } else {
                    v3().unwrap_or(&PORTABLE)
                }
            }))
        }
    }
}

fn v3() -> Option<&'static Api> {
    #[cfg(dicodec_openjpeg_v3)]
    if v3_usable() {
        return Some(&V3);
    }
    None
}
