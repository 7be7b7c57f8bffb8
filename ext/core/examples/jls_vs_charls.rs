//! JPEG-LS speed against CharLS in the same process, interleaved.
//!
//! ```text
//! cargo run --release -p dicodec-core --example jls_vs_charls -- RAWDIR [N] [FILTER] [OP]
//! ```
//! RAWDIR holds `NAME_WxHxC_BITS.raw` images (u8 or little-endian u16
//! samples, colour-by-pixel; `benches/jpegls_charls.py raw DIR` writes them).
//! CharLS is loaded from `$CHARLS_LIB` (e.g. the `libcharls*.so` that
//! imagecodecs ships). For every image and configuration (NEAR 0 and 2;
//! interleave none, line and sample for colour) CharLS encodes the image,
//! dicodec's decode is checked against the image (lossless) or CharLS's
//! decode (NEAR=2), dicodec's stream is decoded by CharLS and compared; then
//! N rounds (default 15) time CharLS decode, dicodec decode, CharLS encode
//! and dicodec encode one after the other; best CPU time of the thread each.
//! The last column compares dicodec's stream with CharLS's byte for byte.
//! FILTER keeps configurations whose name contains it; OP (dd, cd, de, ce)
//! runs only that operation N times, for `valgrind --tool=callgrind`.

use dicodec_core::codecs::jpegls::{decode, encode, EncodeOptions, Image, Samples};
use std::ffi::{c_void, CString};
use std::time::Duration;

/// CPU time of the calling thread.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass; the clock id is valid.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[repr(C)]
struct FrameInfo {
    width: u32,
    height: u32,
    bits: i32,
    comps: i32,
}

type Create = unsafe extern "C" fn() -> *mut c_void;
type Destroy = unsafe extern "C" fn(*mut c_void);
type SetBuf = unsafe extern "C" fn(*mut c_void, *const c_void, usize) -> i32;
type Op = unsafe extern "C" fn(*mut c_void) -> i32;
type GetSize = unsafe extern "C" fn(*mut c_void, u32, *mut usize) -> i32;
type DecodeTo = unsafe extern "C" fn(*mut c_void, *mut c_void, usize, u32) -> i32;
type SetFrame = unsafe extern "C" fn(*mut c_void, *const FrameInfo) -> i32;
type SetI32 = unsafe extern "C" fn(*mut c_void, i32) -> i32;
type EstSize = unsafe extern "C" fn(*mut c_void, *mut usize) -> i32;
type SetDst = unsafe extern "C" fn(*mut c_void, *mut c_void, usize) -> i32;
type EncodeFrom = unsafe extern "C" fn(*mut c_void, *const c_void, usize, u32) -> i32;
type Written = unsafe extern "C" fn(*mut c_void, *mut usize) -> i32;

/// The CharLS 2.x C API functions we call.
struct CharLs {
    dec_create: Create,
    dec_destroy: Destroy,
    dec_source: SetBuf,
    dec_header: Op,
    dec_size: GetSize,
    dec_decode: DecodeTo,
    enc_create: Create,
    enc_destroy: Destroy,
    enc_frame: SetFrame,
    enc_near: SetI32,
    enc_ilv: SetI32,
    enc_est: EstSize,
    enc_dst: SetDst,
    enc_encode: EncodeFrom,
    enc_written: Written,
}

impl CharLs {
    fn load(path: &str) -> CharLs {
        let p = CString::new(path).unwrap();
        // SAFETY: dlopen of a library path; checked for null.
        let h = unsafe { libc::dlopen(p.as_ptr(), libc::RTLD_NOW) };
        assert!(!h.is_null(), "cannot load {path}");
        let sym = |n: &str| {
            let c = CString::new(n).unwrap();
            // SAFETY: dlsym on a valid handle; checked for null.
            let s = unsafe { libc::dlsym(h, c.as_ptr()) };
            assert!(!s.is_null(), "no {n}");
            s
        };
        // SAFETY: the symbols are CharLS 2.x C API functions with these
        // signatures (charls/charls_jpegls_decoder.h, encoder.h).
        unsafe {
            CharLs {
                dec_create: std::mem::transmute::<*mut c_void, Create>(sym(
                    "charls_jpegls_decoder_create",
                )),
                dec_destroy: std::mem::transmute::<*mut c_void, Destroy>(sym(
                    "charls_jpegls_decoder_destroy",
                )),
                dec_source: std::mem::transmute::<*mut c_void, SetBuf>(sym(
                    "charls_jpegls_decoder_set_source_buffer",
                )),
                dec_header: std::mem::transmute::<*mut c_void, Op>(sym(
                    "charls_jpegls_decoder_read_header",
                )),
                dec_size: std::mem::transmute::<*mut c_void, GetSize>(sym(
                    "charls_jpegls_decoder_get_destination_size",
                )),
                dec_decode: std::mem::transmute::<*mut c_void, DecodeTo>(sym(
                    "charls_jpegls_decoder_decode_to_buffer",
                )),
                enc_create: std::mem::transmute::<*mut c_void, Create>(sym(
                    "charls_jpegls_encoder_create",
                )),
                enc_destroy: std::mem::transmute::<*mut c_void, Destroy>(sym(
                    "charls_jpegls_encoder_destroy",
                )),
                enc_frame: std::mem::transmute::<*mut c_void, SetFrame>(sym(
                    "charls_jpegls_encoder_set_frame_info",
                )),
                enc_near: std::mem::transmute::<*mut c_void, SetI32>(sym(
                    "charls_jpegls_encoder_set_near_lossless",
                )),
                enc_ilv: std::mem::transmute::<*mut c_void, SetI32>(sym(
                    "charls_jpegls_encoder_set_interleave_mode",
                )),
                enc_est: std::mem::transmute::<*mut c_void, EstSize>(sym(
                    "charls_jpegls_encoder_get_estimated_destination_size",
                )),
                enc_dst: std::mem::transmute::<*mut c_void, SetDst>(sym(
                    "charls_jpegls_encoder_set_destination_buffer",
                )),
                enc_encode: std::mem::transmute::<*mut c_void, EncodeFrom>(sym(
                    "charls_jpegls_encoder_encode_from_buffer",
                )),
                enc_written: std::mem::transmute::<*mut c_void, Written>(sym(
                    "charls_jpegls_encoder_get_bytes_written",
                )),
            }
        }
    }

    /// Decodes `s` (a fresh decoder per call, as imagecodecs does).
    fn decode(&self, s: &[u8]) -> Vec<u8> {
        // SAFETY: CharLS C API calls on a decoder we create and destroy; the
        // buffers outlive the calls and their sizes are passed.
        unsafe {
            let d = (self.dec_create)();
            assert_eq!((self.dec_source)(d, s.as_ptr().cast(), s.len()), 0);
            assert_eq!((self.dec_header)(d), 0);
            let mut n = 0usize;
            assert_eq!((self.dec_size)(d, 0, &mut n), 0);
            let mut out = vec![0u8; n];
            let rc = (self.dec_decode)(d, out.as_mut_ptr().cast(), n, 0);
            assert_eq!(rc, 0, "CharLS decode error {rc}");
            (self.dec_destroy)(d);
            out
        }
    }

    /// Encodes raw samples (u8 or u16 bytes).
    fn encode(&self, raw: &[u8], fi: &FrameInfo, near: i32, ilv: i32) -> Vec<u8> {
        // SAFETY: as in `decode`.
        unsafe {
            let e = (self.enc_create)();
            assert_eq!((self.enc_frame)(e, fi), 0);
            assert_eq!((self.enc_near)(e, near), 0);
            if fi.comps > 1 {
                assert_eq!((self.enc_ilv)(e, ilv), 0);
            }
            let mut n = 0usize;
            assert_eq!((self.enc_est)(e, &mut n), 0);
            let mut out = vec![0u8; n];
            assert_eq!((self.enc_dst)(e, out.as_mut_ptr().cast(), n), 0);
            let rc = (self.enc_encode)(e, raw.as_ptr().cast(), raw.len(), 0);
            assert_eq!(rc, 0, "CharLS encode error {rc}");
            assert_eq!((self.enc_written)(e, &mut n), 0);
            out.truncate(n);
            (self.enc_destroy)(e);
            out
        }
    }
}

fn bytes_of(s: &Samples) -> Vec<u8> {
    match s {
        Samples::U8(v) => v.clone(),
        Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

/// Colour-by-pixel samples to colour-by-plane.
fn to_planar(raw: &[u8], nc: usize, bits: u8) -> Vec<u8> {
    let bs = if bits <= 8 { 1 } else { 2 };
    let px = raw.len() / bs / nc;
    let mut out = vec![0u8; raw.len()];
    for i in 0..px {
        for c in 0..nc {
            let (s, o) = ((i * nc + c) * bs, (c * px + i) * bs);
            out[o..o + bs].copy_from_slice(&raw[s..s + bs]);
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = &args[1];
    let rounds: usize = args.get(2).map_or(15, |s| s.parse().unwrap());
    let filter = args.get(3).cloned().unwrap_or_default();
    let only = args.get(4).cloned();
    let lib = std::env::var("CHARLS_LIB").expect("CHARLS_LIB = path of libcharls.so");
    let cl = CharLs::load(&lib);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "raw"))
        .collect();
    files.sort();
    println!(
        "{:18} {:>9} {:>9} {:>6} | {:>9} {:>9} {:>6} | size/CharLS, stream",
        "image", "dec MB/s", "CharLS", "ratio", "enc MB/s", "CharLS", "ratio"
    );
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let (name, rest) = stem.split_once('_').unwrap();
        let (dims, bits) = rest.split_once('_').unwrap();
        let d: Vec<u32> = dims.split('x').map(|v| v.parse().unwrap()).collect();
        let bits: u8 = bits.parse().unwrap();
        let raw = std::fs::read(&f).unwrap();
        let fi = FrameInfo {
            width: d[0],
            height: d[1],
            bits: bits as i32,
            comps: d[2] as i32,
        };
        let samples: Vec<u16> = if bits <= 8 {
            raw.iter().map(|&b| b as u16).collect()
        } else {
            raw.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect()
        };
        let img = Image {
            samples: &samples,
            width: d[0],
            height: d[1],
            components: d[2] as u8,
            precision: bits,
        };
        let ilvs: &[u8] = if d[2] == 1 { &[0] } else { &[0, 1, 2] };
        for near in [0u8, 2] {
            for &ilv in ilvs {
                let cfg = if d[2] == 1 {
                    format!("{name}_near{near}")
                } else {
                    format!("{name}_ilv{ilv}_near{near}")
                };
                if !cfg.contains(&filter) {
                    continue;
                }
                // CharLS takes and gives colour-by-plane for interleave none.
                let planar = ilv == 0 && d[2] > 1;
                let craw = if planar {
                    to_planar(&raw, d[2] as usize, bits)
                } else {
                    raw.clone()
                };
                let raw = &craw;
                let s = cl.encode(raw, &fi, near as i32, ilv as i32);
                let opts = EncodeOptions {
                    near,
                    interleave: ilv,
                    ..Default::default()
                };
                if let Some(op) = &only {
                    for _ in 0..rounds {
                        match op.as_str() {
                            "dd" => drop(std::hint::black_box(decode(&s).unwrap())),
                            "cd" => drop(std::hint::black_box(cl.decode(&s))),
                            "de" => drop(std::hint::black_box(encode(&img, &opts).unwrap())),
                            _ => drop(std::hint::black_box(cl.encode(
                                raw,
                                &fi,
                                near as i32,
                                ilv as i32,
                            ))),
                        }
                    }
                    continue;
                }
                // Correctness first.
                let ours = bytes_of(&decode(&s).unwrap().samples);
                let ours = if planar {
                    to_planar(&ours, d[2] as usize, bits)
                } else {
                    ours
                };
                let theirs = cl.decode(&s);
                assert!(ours == theirs, "{cfg}: decode differs from CharLS");
                if near == 0 {
                    assert!(
                        &ours == raw,
                        "{cfg}: lossless decode differs from the image"
                    );
                }
                let es = encode(&img, &opts).unwrap();
                let back = cl.decode(&es);
                assert!(
                    back == {
                        let o = bytes_of(&decode(&es).unwrap().samples);
                        if planar {
                            to_planar(&o, d[2] as usize, bits)
                        } else {
                            o
                        }
                    },
                    "{cfg}: CharLS decodes our stream differently"
                );
                if near == 0 {
                    assert!(&back == raw, "{cfg}: our lossless stream is not lossless");
                }
                let mut best = [Duration::MAX; 4];
                // JLS_DECODE_ONLY set: time the decoders only.
                let dec_only = std::env::var_os("JLS_DECODE_ONLY").is_some();
                for _ in 0..rounds {
                    let t = cpu_time();
                    std::hint::black_box(cl.decode(&s));
                    let t1 = cpu_time();
                    std::hint::black_box(decode(&s).unwrap());
                    let t2 = cpu_time();
                    if !dec_only {
                        std::hint::black_box(cl.encode(raw, &fi, near as i32, ilv as i32));
                    }
                    let t3 = cpu_time();
                    if !dec_only {
                        std::hint::black_box(encode(&img, &opts).unwrap());
                    }
                    let t4 = cpu_time();
                    for (b, v) in best.iter_mut().zip([t1 - t, t2 - t1, t3 - t2, t4 - t3]) {
                        *b = (*b).min(v);
                    }
                }
                let mb = |t: Duration| raw.len() as f64 / t.as_secs_f64() / 1e6;
                let (cd, dd, ce, de) = (mb(best[0]), mb(best[1]), mb(best[2]), mb(best[3]));
                println!(
                    "{cfg:18} {dd:9.1} {cd:9.1} {:6.2} | {de:9.1} {ce:9.1} {:6.2} | {:.4} {}",
                    dd / cd,
                    de / ce,
                    es.len() as f64 / s.len() as f64,
                    if es == s { "identical" } else { "differs" }
                );
            }
        }
    }
}
