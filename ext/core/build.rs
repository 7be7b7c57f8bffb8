//! Build script: two more copies of OpenJPEG beside the one `openjpeg-sys`
//! builds: a portable one (`dicodec_base_`) and, on x86-64, one for
//! x86-64-v3 (`dicodec_v3_`: AVX2, BMI1/2, FMA...); the JPEG 2000 decoder
//! picks one at run time (`codecs/j2k/api.rs`). `openjpeg-sys`'s own copy
//! stays for the encoder and as the decoder's fallback.
//!
//! The copies are compiled from `openjpeg-sys`'s vendored sources (found in
//! Cargo's registry, or at `DICODEC_OPENJPEG_SRC`) with the `cc` crate:
//! - every global symbol renamed with the copy's prefix by a generated
//!   header of `#define`s (force-included), so that the copies link into
//!   one binary;
//! - `-ffp-contract=off`: no fused multiply-adds (x86-64-v3 has FMA; GCC
//!   contracts by default on AArch64), so the lossy 9/7 wavelet gives the
//!   same samples bit for bit in every copy and on every CPU;
//! - in `ht_dec.c`, the last loop of the HT code-block decoder (sign-magnitude
//!   to two's complement) written without a branch: GCC compiles the original
//!   `cond ? -val : val` inside that large function as a conditional jump
//!   that mispredicts on every other sample (a quarter of the HTJ2K decode
//!   time); Clang already emits branch-free code. Same values bit for bit.
//!
//! Only with a GCC-like compiler (GCC, Clang); with another (MSVC), or when
//! the sources are not found (a warning says so), `openjpeg-sys`'s copy is
//! the only one. `DICODEC_NO_OPENJPEG_COPIES=1` skips both copies.

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// The `openjpeg-sys` version whose sources are compiled (pinned with `=` in
/// the workspace's Cargo.toml: the bindings and both builds must agree).
const OPENJPEG_SYS: &str = "openjpeg-sys-1.0.12";

/// The copies: symbol prefix (`api.rs` declares the symbols), the cfg set
/// when built, extra flags, x86-64 only.
const COPIES: [(&str, &str, &[&str], bool); 2] = [
    ("dicodec_base_", "dicodec_openjpeg_base", &[], false),
    (
        "dicodec_v3_",
        "dicodec_openjpeg_v3",
        &["-march=x86-64-v3"],
        true,
    ),
];

/// The files `openjpeg-sys` compiles (its build.rs).
const FILES: [&str; 22] = [
    "thread.c",
    "bio.c",
    "cio.c",
    "dwt.c",
    "event.c",
    "ht_dec.c",
    "image.c",
    "invert.c",
    "j2k.c",
    "jp2.c",
    "mct.c",
    "mqc.c",
    "openjpeg.c",
    "opj_clock.c",
    "pi.c",
    "t1.c",
    "t2.c",
    "tcd.c",
    "tgt.c",
    "function_list.c",
    "opj_malloc.c",
    "sparse_array.c",
];

/// The branchy loop of `opj_t1_ht_decode_cblk` and its branch-free form.
const HT_SIGN_LOOP: &str = "                OPJ_INT32 val = (*sp & 0x7FFFFFFF);
                *sp = ((OPJ_UINT32) * sp & 0x80000000) ? -val : val;";
const HT_SIGN_LOOP_NEW: &str = "                OPJ_UINT32 v = (OPJ_UINT32) * sp;
                OPJ_UINT32 m = (OPJ_UINT32)0 - (v >> 31);
                *sp = (OPJ_INT32)(((v & 0x7FFFFFFFU) ^ m) - m);";

fn main() {
    for (_, cfg, _, _) in COPIES {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DICODEC_OPENJPEG_SRC");
    println!("cargo:rerun-if-env-changed=DICODEC_NO_OPENJPEG_COPIES");
    if env::var_os("CARGO_FEATURE_J2K").is_none()
        || env::var_os("DICODEC_NO_OPENJPEG_COPIES").is_some_and(|v| v == "1")
    {
        return;
    }
    let Some(root) = openjpeg_sources() else {
        println!(
            "cargo:warning=OpenJPEG sources of {OPENJPEG_SYS} not found (set DICODEC_OPENJPEG_SRC \
             to the crate's directory): JPEG 2000 uses openjpeg-sys's build only"
        );
        return;
    };
    let x86_64 = env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64");
    let src = root.join("vendor/src/lib/openjp2");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let compiler = cc::Build::new().get_compiler();
    if !(compiler.is_like_gnu() || compiler.is_like_clang()) {
        return; // MSVC: no -march, no -include; openjpeg-sys's build only.
    }
    // The names to rename: every opj_/j2k_/jp2_/opq_ identifier called or
    // declared as a function in the sources (static ones too: harmless),
    // less the macros.
    let mut names = BTreeSet::new();
    let mut macros = BTreeSet::new();
    let mut sources = Vec::new();
    for entry in fs::read_dir(&src).expect("OpenJPEG source directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".h") || FILES.contains(&name) {
            sources.push(fs::read_to_string(&path).expect("OpenJPEG source"));
        }
    }
    for text in &sources {
        scan_identifiers(text, &mut names, &mut macros);
    }
    let ht = fs::read_to_string(src.join("ht_dec.c")).expect("ht_dec.c");
    let ht_patched = out.join("ht_dec.c");
    if ht.matches(HT_SIGN_LOOP).count() == 1 {
        fs::write(&ht_patched, ht.replace(HT_SIGN_LOOP, HT_SIGN_LOOP_NEW)).expect("write ht_dec");
    } else {
        println!("cargo:warning=ht_dec.c: the sign loop was not found; compiled unchanged");
        fs::write(&ht_patched, ht).expect("write ht_dec");
    }
    for (prefix, cfg, flags, x86_64_only) in COPIES {
        if x86_64_only && !x86_64 {
            continue;
        }
        let mut header = String::from("/* generated by dicodec-core's build.rs */\n");
        for n in names.difference(&macros) {
            header += &format!("#define {n} {prefix}{n}\n");
        }
        let prefix_h = out.join(format!("{prefix}symbols.h"));
        fs::write(&prefix_h, header).expect("write the prefix header");
        compile(&root, &src, &ht_patched, &prefix_h, flags, prefix);
        println!("cargo:rustc-cfg={cfg}");
    }
}

/// Compiles one copy into the static library `<prefix>openjpeg`.
fn compile(root: &Path, src: &Path, ht_dec: &Path, prefix_h: &Path, flags: &[&str], prefix: &str) {
    let mut cc = cc::Build::new();
    // Objects of the same sources apart.
    let dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join(prefix);
    fs::create_dir_all(&dir).expect("object directory");
    cc.out_dir(dir);
    if env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("windows") {
        cc.define("OPJ_HAVE__ALIGNED_MALLOC", Some("1"));
        cc.define("MUTEX_win32", Some("1"));
    } else {
        cc.define("OPJ_HAVE_POSIX_MEMALIGN", Some("1"));
        cc.define("MUTEX_pthread", Some("1"));
    }
    cc.include(src)
        .include(root.join("config"))
        .define("OPJ_STATIC", Some("1"))
        .flag("-include")
        .flag(prefix_h.to_str().expect("UTF-8 OUT_DIR"))
        .flag("-ffp-contract=off")
        .warnings(false);
    for f in flags {
        cc.flag(f);
    }
    for f in FILES {
        if f == "ht_dec.c" {
            cc.file(ht_dec);
        } else {
            cc.file(src.join(f));
        }
    }
    cc.compile(&format!("{prefix}openjpeg"));
}

/// The `openjpeg-sys` crate's directory: `DICODEC_OPENJPEG_SRC`, or Cargo's
/// registry (`$CARGO_HOME/registry/src/*/openjpeg-sys-<version>`).
fn openjpeg_sources() -> Option<PathBuf> {
    let ok = |p: &Path| p.join("vendor/src/lib/openjp2/ht_dec.c").is_file();
    if let Some(dir) = env::var_os("DICODEC_OPENJPEG_SRC") {
        return Some(PathBuf::from(dir)).filter(|p| ok(p));
    }
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found: Vec<PathBuf> = fs::read_dir(home.join("registry/src"))
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join(OPENJPEG_SYS)))
        .filter(|p| ok(p))
        .collect();
    found.sort();
    found.pop()
}

/// Adds to `names` the identifiers with an OpenJPEG prefix that are followed
/// by `(` (functions, their declarations and function-pointer members), and
/// to `macros` the names given to `#define`.
fn scan_identifiers(text: &str, names: &mut BTreeSet<String>, macros: &mut BTreeSet<String>) {
    let b = text.as_bytes();
    let ident = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    let mut i = 0;
    let mut after_define = false;
    while i < b.len() {
        if !ident(b[i]) || (i > 0 && ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && ident(b[i]) {
            i += 1;
        }
        let word = &text[start..i];
        if after_define {
            macros.insert(word.to_owned());
            after_define = false;
            continue;
        }
        if word == "define" && text[..start].trim_end_matches([' ', '\t']).ends_with('#') {
            after_define = true;
            continue;
        }
        let prefixed = ["opj_", "j2k_", "jp2_", "opq_"]
            .iter()
            .any(|p| word.starts_with(p));
        let mut j = i;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t' || b[j] == b'\n' || b[j] == b'\r') {
            j += 1;
        }
        if prefixed && j < b.len() && b[j] == b'(' {
            names.insert(word.to_owned());
        }
    }
}
