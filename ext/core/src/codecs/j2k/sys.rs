//! The only `unsafe` code of the JPEG 2000 codec: a safe wrapper over the
//! OpenJPEG C API (`openjpeg-sys`).
//!
//! A [`Session`] owns one decompressor, one memory stream reading from a
//! borrowed `&[u8]` (no copy of the codestream besides OpenJPEG's own read
//! buffer), and the message sink its callbacks write to; an [`Image`] owns
//! the decoded `opj_image_t`. OpenJPEG's info messages are dropped, its
//! warnings and errors are collected (never printed) and returned.

#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CStr};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::Mutex;

use openjpeg_sys as opj;

use super::api::Api;

/// At most this many messages are kept (a corrupt stream can produce one per
/// code-block).
const MAX_MESSAGES: usize = 64;

/// OpenJPEG's write buffer (encoder): the codestream is written in chunks of
/// this size.
const STREAM_CHUNK: usize = 1 << 20;

/// OpenJPEG's read buffer (decoder). Small: a read larger than the buffer
/// (a tile's data) goes straight from our slice to OpenJPEG's tile buffer,
/// while one through the buffer is copied twice (a whole codestream of 1 MiB
/// or less was, copying 0.5 MB more per single-frame HTJ2K decode).
const READ_BUFFER: usize = 1 << 16;

/// Messages OpenJPEG reported through its callbacks.
#[derive(Debug, Default)]
pub(super) struct Messages {
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    /// How far OpenJPEG had read the input when the messages were taken.
    pub read_to: usize,
}

/// Where OpenJPEG's callbacks write (worker threads may report at once).
#[derive(Default)]
struct Sink(Mutex<Messages>);

impl Sink {
    fn push(&self, error: bool, msg: *const c_char) {
        if msg.is_null() {
            return;
        }
        // SAFETY: OpenJPEG passes a NUL-terminated string that lives for the
        // duration of the callback; null was excluded above.
        let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy();
        let text = text.trim().to_owned();
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let list = if error {
            &mut m.errors
        } else {
            &mut m.warnings
        };
        if list.len() < MAX_MESSAGES && !text.is_empty() && !list.contains(&text) {
            list.push(text);
        }
    }

    fn take(&self) -> Messages {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

unsafe extern "C" fn on_info(_msg: *const c_char, _data: *mut c_void) {}

unsafe extern "C" fn on_warning(msg: *const c_char, data: *mut c_void) {
    // SAFETY: `data` is the `Sink` registered in `Session::open`, which
    // outlives the codec (it is dropped after `opj_destroy_codec`).
    let sink = unsafe { &*(data as *const Sink) };
    sink.push(false, msg);
}

unsafe extern "C" fn on_error(msg: *const c_char, data: *mut c_void) {
    // SAFETY: as in `on_warning`.
    let sink = unsafe { &*(data as *const Sink) };
    sink.push(true, msg);
}

/// The memory stream's state: the borrowed codestream and a read position.
struct Reader {
    data: *const u8,
    len: usize,
    pos: usize,
}

unsafe extern "C" fn read(buf: *mut c_void, n: usize, user: *mut c_void) -> usize {
    // SAFETY: `user` is the boxed `Reader` of the session that owns the
    // stream; OpenJPEG calls the stream functions from one thread at a time.
    let r = unsafe { &mut *(user as *mut Reader) };
    let n = n.min(r.len - r.pos);
    if n == 0 {
        return usize::MAX; // (OPJ_SIZE_T)-1: end of stream
    }
    // SAFETY: `data[pos..pos + n]` lies inside the borrowed slice (pos <=
    // len, n <= len - pos) and `buf` has room for the n <= requested bytes.
    unsafe { ptr::copy_nonoverlapping(r.data.add(r.pos), buf as *mut u8, n) };
    r.pos += n;
    n
}

unsafe extern "C" fn skip(n: i64, user: *mut c_void) -> i64 {
    // SAFETY: as in `read`.
    let r = unsafe { &mut *(user as *mut Reader) };
    if n < 0 {
        let back = n.unsigned_abs().min(r.pos as u64) as usize;
        r.pos -= back;
        return -(back as i64);
    }
    let left = (r.len - r.pos) as u64;
    if n as u64 > left {
        r.pos = r.len;
        return -1;
    }
    r.pos += n as usize;
    n
}

unsafe extern "C" fn seek(n: i64, user: *mut c_void) -> i32 {
    // SAFETY: as in `read`.
    let r = unsafe { &mut *(user as *mut Reader) };
    if n < 0 || n as u64 > r.len as u64 {
        return 0;
    }
    r.pos = n as usize;
    1
}

/// One decoded component, borrowed from an [`Image`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Component<'a> {
    pub dx: u32,
    pub dy: u32,
    pub w: u32,
    pub h: u32,
    /// `w × h` samples, row by row (`None` before decoding).
    pub data: Option<&'a [i32]>,
}

/// An `opj_image_t` (header or decoded image) and the build that made it.
pub(super) struct Image(NonNull<opj::opj_image_t>, &'static Api);

// SAFETY: the image is plain memory owned by this value; OpenJPEG keeps no
// reference to it once `opj_decode` returned.
unsafe impl Send for Image {}

impl Image {
    /// Canvas area (x0, y0, x1, y1).
    pub fn area(&self) -> (u32, u32, u32, u32) {
        // SAFETY: the pointer is a live image owned by `self`.
        let i = unsafe { self.0.as_ref() };
        (i.x0, i.y0, i.x1, i.y1)
    }

    /// The components (with their samples once decoded).
    pub fn components(&self) -> Vec<Component<'_>> {
        // SAFETY: the pointer is a live image owned by `self`.
        let i = unsafe { self.0.as_ref() };
        if i.comps.is_null() {
            return Vec::new();
        }
        (0..i.numcomps as usize)
            .map(|k| {
                // SAFETY: `comps` holds `numcomps` components.
                let c = unsafe { &*i.comps.add(k) };
                let n = c.w as usize * c.h as usize;
                let data = (!c.data.is_null()).then(|| {
                    // SAFETY: OpenJPEG allocates `w × h` samples for a decoded
                    // component; they live as long as the image (`&self`).
                    unsafe { std::slice::from_raw_parts(c.data as *const i32, n) }
                });
                Component {
                    dx: c.dx,
                    dy: c.dy,
                    w: c.w,
                    h: c.h,
                    data,
                }
            })
            .collect()
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: the image came from `opj_read_header` of this build and is
        // destroyed once.
        unsafe { (self.1.opj_image_destroy)(self.0.as_ptr()) };
    }
}

/// One decompression: codec, memory stream and message sink.
pub(super) struct Session<'a> {
    api: &'static Api,
    codec: *mut opj::opj_codec_t,
    stream: *mut opj::opj_stream_t,
    image: Option<Image>,
    // Boxed: OpenJPEG holds their addresses until the session is dropped.
    reader: Box<Reader>,
    sink: Box<Sink>,
    _src: PhantomData<&'a [u8]>,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // SAFETY: both handles were created in `open` (non-null) and are
        // destroyed once, before the reader and sink they point to.
        unsafe {
            (self.api.opj_stream_destroy)(self.stream);
            (self.api.opj_destroy_codec)(self.codec);
        }
    }
}

impl<'a> Session<'a> {
    /// Creates a decompressor for `src` (a raw codestream, or a JP2 file when
    /// `jp2`) with `threads` worker threads (1: none) on OpenJPEG build
    /// `api` and reads the main header. On failure, returns OpenJPEG's
    /// messages.
    pub fn open(
        api: &'static Api,
        src: &'a [u8],
        jp2: bool,
        threads: usize,
    ) -> Result<Self, Messages> {
        let format = if jp2 {
            opj::CODEC_FORMAT::OPJ_CODEC_JP2
        } else {
            opj::CODEC_FORMAT::OPJ_CODEC_J2K
        };
        // SAFETY: plain constructor; a null result is handled.
        let codec = unsafe { (api.opj_create_decompress)(format) };
        if codec.is_null() {
            return Err(Messages {
                errors: vec!["cannot create an OpenJPEG decompressor".into()],
                ..Default::default()
            });
        }
        // SAFETY: creates an input stream; a null result is handled.
        let stream = unsafe { (api.opj_stream_create)(src.len().clamp(1, READ_BUFFER), 1) };
        if stream.is_null() {
            // SAFETY: `codec` is valid and destroyed once.
            unsafe { (api.opj_destroy_codec)(codec) };
            return Err(Messages {
                errors: vec!["cannot create an OpenJPEG stream".into()],
                ..Default::default()
            });
        }
        let mut s = Session {
            api,
            codec,
            stream,
            image: None,
            reader: Box::new(Reader {
                data: src.as_ptr(),
                len: src.len(),
                pos: 0,
            }),
            sink: Box::default(),
            _src: PhantomData,
        };
        let sink_ptr = &*s.sink as *const Sink as *mut c_void;
        let reader_ptr = &mut *s.reader as *mut Reader as *mut c_void;
        // SAFETY: `codec` and `stream` are valid. The sink and the reader are
        // boxed and owned by `s`, so their addresses stay valid until `s` is
        // dropped, which destroys the codec and the stream first. The
        // callbacks match the C prototypes.
        let ok = unsafe {
            (api.opj_set_info_handler)(codec, Some(on_info), sink_ptr);
            (api.opj_set_warning_handler)(codec, Some(on_warning), sink_ptr);
            (api.opj_set_error_handler)(codec, Some(on_error), sink_ptr);
            (api.opj_stream_set_read_function)(stream, Some(read));
            (api.opj_stream_set_skip_function)(stream, Some(skip));
            (api.opj_stream_set_seek_function)(stream, Some(seek));
            (api.opj_stream_set_user_data)(stream, reader_ptr, None);
            (api.opj_stream_set_user_data_length)(stream, src.len() as u64);
            let mut params: opj::opj_dparameters_t = std::mem::zeroed();
            (api.opj_set_default_decoder_parameters)(&mut params);
            (api.opj_setup_decoder)(codec, &mut params) != 0
                && set_threads(api.opj_codec_set_threads, codec, threads)
        };
        if !ok {
            return Err(s.messages());
        }
        let mut image: *mut opj::opj_image_t = ptr::null_mut();
        // SAFETY: valid codec and stream; `image` receives a new image or
        // stays null.
        let ok = unsafe { (api.opj_read_header)(stream, codec, &mut image) } != 0;
        s.image = NonNull::new(image).map(|i| Image(i, api));
        if !ok || s.image.is_none() {
            return Err(s.messages());
        }
        Ok(s)
    }

    /// The messages so far, with the read position.
    fn messages(&self) -> Messages {
        let mut m = self.sink.take();
        m.read_to = self.reader.pos;
        m
    }

    /// The image header (components without samples).
    pub fn header(&self) -> &Image {
        // `open` only returns a session with an image.
        self.image.as_ref().expect("session has an image")
    }

    /// Decodes the whole image. Returns it with OpenJPEG's warnings, or its
    /// messages on failure.
    pub fn decode(mut self) -> Result<(Image, Messages), Messages> {
        let Some(image) = self.image.take() else {
            return Err(self.messages());
        };
        // SAFETY: codec, stream and image are valid and belong together
        // (the image came from `opj_read_header` on this codec and stream).
        let ok = unsafe {
            (self.api.opj_decode)(self.codec, self.stream, image.0.as_ptr()) != 0
                && (self.api.opj_end_decompress)(self.codec, self.stream) != 0
        };
        let messages = self.messages();
        if ok {
            Ok((image, messages))
        } else {
            Err(messages)
        }
    }
}

/// Gives `codec` `threads` worker threads (with `set`, its build's
/// `opj_codec_set_threads`); 1 (or 0) means none, and overrides
/// the `OPJ_NUM_THREADS` environment variable, from which OpenJPEG otherwise
/// gives every codec a thread pool of its own — one per frame while frames
/// are already decoded in parallel. False when more than one thread was
/// asked for and OpenJPEG cannot have them.
///
/// # Safety
/// `codec` must be a valid codec that has not read or written a header yet.
unsafe fn set_threads(
    set: unsafe extern "C" fn(*mut opj::opj_codec_t, c_int) -> opj::OPJ_BOOL,
    codec: *mut opj::opj_codec_t,
    threads: usize,
) -> bool {
    let n = if threads <= 1 {
        0
    } else {
        threads.min(c_int::MAX as usize) as c_int
    };
    // SAFETY: the caller passes a valid codec.
    let ok = unsafe { set(codec, n) } != 0;
    // Without thread support OpenJPEG refuses any count, but 0 is what it
    // does anyway.
    ok || n == 0
}

/// OpenJPEG's version string ("2.5.3").
pub fn version() -> String {
    // SAFETY: returns a pointer to a static NUL-terminated string.
    let v = unsafe { opj::opj_version() };
    if v.is_null() {
        return String::new();
    }
    // SAFETY: non-null static C string.
    unsafe { CStr::from_ptr(v) }.to_string_lossy().into_owned()
}

/// What [`compress`] encodes: one image, every component full size.
#[derive(Debug, Clone, Copy)]
pub(super) struct CompressSpec {
    pub width: u32,
    pub height: u32,
    /// 1-4 components.
    pub components: u32,
    /// Bits per sample (1-16 here).
    pub precision: u32,
    pub signed: bool,
    /// Number of resolutions (levels + 1).
    pub resolutions: i32,
    /// Code-block width and height.
    pub code_block: (i32, i32),
    /// Reversible colour transform of components 0-2 (3 components only).
    pub mct: bool,
}

/// The memory output stream's state: the codestream and a write position
/// (OpenJPEG may seek back to patch a marker).
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    pos: usize,
}

unsafe extern "C" fn write(buf: *mut c_void, n: usize, user: *mut c_void) -> usize {
    // SAFETY: `user` is the boxed `Writer` owned by `compress`, alive until
    // the stream is destroyed; OpenJPEG calls the stream from one thread.
    let w = unsafe { &mut *(user as *mut Writer) };
    if n == 0 {
        return 0;
    }
    // SAFETY: OpenJPEG passes `n` readable bytes at `buf`.
    let src = unsafe { std::slice::from_raw_parts(buf as *const u8, n) };
    let end = w.pos + n;
    if end > w.out.len() {
        w.out.resize(end, 0);
    }
    w.out[w.pos..end].copy_from_slice(src);
    w.pos = end;
    n
}

unsafe extern "C" fn write_skip(n: i64, user: *mut c_void) -> i64 {
    // SAFETY: as in `write`.
    let w = unsafe { &mut *(user as *mut Writer) };
    let to = w.pos as i64 + n;
    if to < 0 {
        return -1;
    }
    w.pos = to as usize;
    if w.pos > w.out.len() {
        w.out.resize(w.pos, 0);
    }
    n
}

unsafe extern "C" fn write_seek(n: i64, user: *mut c_void) -> i32 {
    // SAFETY: as in `write`.
    let w = unsafe { &mut *(user as *mut Writer) };
    if n < 0 || n as u64 > w.out.len() as u64 {
        return 0;
    }
    w.pos = n as usize;
    1
}

/// Frees what `compress` created, in order (stream, codec, image).
struct Compression {
    codec: *mut opj::opj_codec_t,
    stream: *mut opj::opj_stream_t,
    image: *mut opj::opj_image_t,
}

impl Drop for Compression {
    fn drop(&mut self) {
        // SAFETY: each handle is null or was created by `compress` and is
        // destroyed once, here; the stream and codec go before the writer
        // and sink they point to (which `compress` drops after this value).
        unsafe {
            if !self.stream.is_null() {
                opj::opj_stream_destroy(self.stream);
            }
            if !self.codec.is_null() {
                opj::opj_destroy_codec(self.codec);
            }
            if !self.image.is_null() {
                opj::opj_image_destroy(self.image);
            }
        }
    }
}

/// Encodes one image as a JPEG 2000 codestream (reversible 5/3 wavelet, one
/// quality layer, LRCP, one tile) into memory. `fill(k, plane)` writes
/// component `k`'s `width × height` samples. The caller checks the sizes
/// against [`crate::limits`] first. Returns the codestream with OpenJPEG's
/// warnings, or its messages on failure.
pub(super) fn compress(
    spec: &CompressSpec,
    mut fill: impl FnMut(usize, &mut [i32]),
) -> Result<(Vec<u8>, Messages), Messages> {
    let fail = |text: &str| Messages {
        errors: vec![text.to_owned()],
        ..Default::default()
    };
    let sink: Box<Sink> = Box::default();
    let mut writer: Box<Writer> = Box::default();
    let mut cmpt: Vec<opj::opj_image_cmptparm_t> = (0..spec.components)
        .map(|_| opj::opj_image_cmptparm_t {
            dx: 1,
            dy: 1,
            w: spec.width,
            h: spec.height,
            x0: 0,
            y0: 0,
            prec: spec.precision,
            bpp: spec.precision,
            sgnd: u32::from(spec.signed),
        })
        .collect();
    let space = match spec.components {
        1 => opj::COLOR_SPACE::OPJ_CLRSPC_GRAY,
        3 if spec.mct => opj::COLOR_SPACE::OPJ_CLRSPC_SRGB,
        _ => opj::COLOR_SPACE::OPJ_CLRSPC_UNSPECIFIED,
    };
    let mut c = Compression {
        codec: ptr::null_mut(),
        stream: ptr::null_mut(),
        // SAFETY: `cmpt` holds `components` initialised parameter records.
        image: unsafe { opj::opj_image_create(spec.components, cmpt.as_mut_ptr(), space) },
    };
    if c.image.is_null() {
        return Err(fail("OpenJPEG could not allocate the image"));
    }
    {
        // SAFETY: a live image with `components` components, each holding
        // `w × h` allocated samples (opj_image_create allocates them).
        let img = unsafe { &mut *c.image };
        img.x0 = 0;
        img.y0 = 0;
        img.x1 = spec.width;
        img.y1 = spec.height;
        let n = spec.width as usize * spec.height as usize;
        for k in 0..spec.components as usize {
            // SAFETY: `comps` has `numcomps` (= components) records.
            let comp = unsafe { &mut *img.comps.add(k) };
            if comp.data.is_null() {
                return Err(fail("OpenJPEG did not allocate a component"));
            }
            // SAFETY: `data` holds `w × h` = n samples owned by the image,
            // which outlives this borrow.
            fill(k, unsafe { std::slice::from_raw_parts_mut(comp.data, n) });
        }
    }
    // SAFETY: zeroed is a valid bit pattern for the plain C struct, which
    // opj_set_default_encoder_parameters then fills.
    let mut params: opj::opj_cparameters_t = unsafe { std::mem::zeroed() };
    // SAFETY: `params` is a valid, writable parameter record.
    unsafe { opj::opj_set_default_encoder_parameters(&mut params) };
    params.tcp_numlayers = 1;
    params.tcp_rates[0] = 0.0;
    params.cp_disto_alloc = 1;
    params.irreversible = 0;
    params.numresolution = spec.resolutions;
    params.cblockw_init = spec.code_block.0;
    params.cblockh_init = spec.code_block.1;
    params.tcp_mct = c_char::from(spec.mct && spec.components == 3);
    // SAFETY: plain constructor; a null result is handled.
    c.codec = unsafe { opj::opj_create_compress(opj::CODEC_FORMAT::OPJ_CODEC_J2K) };
    if c.codec.is_null() {
        return Err(fail("cannot create an OpenJPEG compressor"));
    }
    let sink_ptr = &*sink as *const Sink as *mut c_void;
    let writer_ptr = &mut *writer as *mut Writer as *mut c_void;
    // SAFETY: codec and image are valid; the sink is boxed and outlives the
    // codec (`c` is dropped before `sink`: declared after it).
    let ok = unsafe {
        opj::opj_set_info_handler(c.codec, Some(on_info), sink_ptr);
        opj::opj_set_warning_handler(c.codec, Some(on_warning), sink_ptr);
        opj::opj_set_error_handler(c.codec, Some(on_error), sink_ptr);
        set_threads(opj::opj_codec_set_threads, c.codec, 1)
            && opj::opj_setup_encoder(c.codec, &mut params, c.image) != 0
    };
    if !ok {
        return Err(sink.take());
    }
    // SAFETY: creates an output stream; a null result is handled.
    c.stream = unsafe { opj::opj_stream_create(STREAM_CHUNK, 0) };
    if c.stream.is_null() {
        return Err(fail("cannot create an OpenJPEG stream"));
    }
    // SAFETY: valid stream; the writer is boxed and outlives the stream
    // (`c` drops first). Codec, stream and image belong together.
    let ok = unsafe {
        opj::opj_stream_set_write_function(c.stream, Some(write));
        opj::opj_stream_set_skip_function(c.stream, Some(write_skip));
        opj::opj_stream_set_seek_function(c.stream, Some(write_seek));
        opj::opj_stream_set_user_data(c.stream, writer_ptr, None);
        opj::opj_start_compress(c.codec, c.image, c.stream) != 0
            && opj::opj_encode(c.codec, c.stream) != 0
            && opj::opj_end_compress(c.codec, c.stream) != 0
    };
    drop(c);
    let messages = sink.take();
    if !ok {
        return Err(messages);
    }
    Ok((std::mem::take(&mut writer.out), messages))
}
