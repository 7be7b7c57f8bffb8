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
//! - in `ht_dec.c`, the HT code-block decoder, four patches ([`HT_PATCHES`];
//!   same values bit for bit):
//!   1. its last loop (sign-magnitude to two's complement) written without a
//!      branch, in a function of its own over the whole block: GCC compiles
//!      the original `cond ? -val : val` inside that large function as a
//!      conditional jump that mispredicts on every other sample (a quarter
//!      of the HTJ2K decode time), and does not vectorize the loop there
//!      (10 instructions a sample; 1.2 in its own function);
//!   2. `frwd_fetch` (32 bits of the MagSgn stream) always inlined: GCC
//!      calls it out of line in that function (6% of the instructions);
//!   3. `frwd_read` (4 more bytes of the MagSgn or SPP stream) takes the 32
//!      bits at once when no byte is 0xFF and none before it was (no bit to
//!      unstuff), instead of byte by byte;
//!   4. `rev_read` (4 more bytes of the VLC stream, read backwards) likewise
//!      when no byte ends in seven 1 bits (none can lose a bit).
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

/// The patches to `ht_dec.c` (see the module notes): what to find (exactly
/// once, else that patch is skipped with a warning) and its replacement.
const HT_PATCHES: [(&str, &str, &str); 5] = [
    (
        "sign loop",
        "        OPJ_INT32 x, y;
        for (y = 0; y < height; ++y) {
            OPJ_INT32* sp = (OPJ_INT32*)decoded_data + y * stride;
            for (x = 0; x < width; ++x, ++sp) {
                OPJ_INT32 val = (*sp & 0x7FFFFFFF);
                *sp = ((OPJ_UINT32) * sp & 0x80000000) ? -val : val;
            }
        }",
        "        /* dicodec: the whole block (stride == width), out of line. */
        dicodec_ht_sign_to_twos(decoded_data,
                                (OPJ_SIZE_T)stride * (OPJ_SIZE_T)height);",
    ),
    (
        "sign function",
        "static OPJ_BOOL opj_t1_allocate_buffers(",
        "/* dicodec: sign-magnitude to two's complement, branch-free, in a loop of
   its own so that the compiler vectorizes it (inside opj_t1_ht_decode_cblk
   GCC neither avoids the branch nor vectorizes). */
static __attribute__((noinline)) void dicodec_ht_sign_to_twos(
    OPJ_UINT32* OPJ_RESTRICT p, OPJ_SIZE_T n)
{
    OPJ_SIZE_T i;
    for (i = 0; i < n; ++i) {
        OPJ_UINT32 v = p[i];
        OPJ_UINT32 m = (OPJ_UINT32)0 - (v >> 31);
        p[i] = ((v & 0x7FFFFFFFU) ^ m) - m;
    }
}

static OPJ_BOOL opj_t1_allocate_buffers(",
    ),
    (
        "inline frwd_fetch",
        "static INLINE
OPJ_UINT32 frwd_fetch(frwd_struct_t *msp)",
        "static INLINE __attribute__((always_inline))
OPJ_UINT32 frwd_fetch(frwd_struct_t *msp)",
    ),
    (
        "frwd_read fast path",
        "    // we accumulate in t and keep a count of the number of bits in bits
    bits = 8u - (msp->unstuff ? 1u : 0u);",
        "    // dicodec: no 0xFF among the 4 bytes and no bit to unstuff from before:
    // the 32 bits as they are (what the steps below give in that case)
    if (!msp->unstuff && !((~val - 0x01010101u) & val & 0x80808080u)) {
        msp->tmp |= ((OPJ_UINT64)val) << msp->bits;
        msp->bits += 32u;
        return;
    }

    // we accumulate in t and keep a count of the number of bits in bits
    bits = 8u - (msp->unstuff ? 1u : 0u);",
    ),
    (
        "rev_read fast path",
        "    //accumulate in tmp, number of bits in tmp are stored in bits
    tmp = val >> 24;  //start with the MSB byte
",
        "    // dicodec: no byte ends in seven 1 bits, so none loses a bit: the 4
    // bytes in reverse order (what the steps below give in that case)
    {
        OPJ_UINT32 x = val | 0x80808080u;
        if (!((~x - 0x01010101u) & x & 0x80808080u)) {
            vlcp->tmp |= (OPJ_UINT64)__builtin_bswap32(val) << vlcp->bits;
            vlcp->bits += 32u;
            vlcp->unstuff = (val & 0xFF) > 0x8F;
            return;
        }
    }

    //accumulate in tmp, number of bits in tmp are stored in bits
    tmp = val >> 24;  //start with the MSB byte
",
    ),
];

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
    let mut ht = fs::read_to_string(src.join("ht_dec.c")).expect("ht_dec.c");
    let ht_patched = out.join("ht_dec.c");
    let mut skipped = Vec::new();
    for (name, from, to) in HT_PATCHES {
        if ht.matches(from).count() == 1 {
            ht = ht.replace(from, to);
        } else {
            skipped.push(name);
        }
    }
    if skipped.contains(&"sign loop") != skipped.contains(&"sign function") {
        // One without the other would not compile (or leave an unused
        // function): the original loop then.
        ht = fs::read_to_string(src.join("ht_dec.c")).expect("ht_dec.c");
        skipped = HT_PATCHES.iter().map(|p| p.0).collect();
    }
    if !skipped.is_empty() {
        println!(
            "cargo:warning=ht_dec.c: not found, so not patched: {}",
            skipped.join(", ")
        );
    }
    fs::write(&ht_patched, ht).expect("write ht_dec");
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
