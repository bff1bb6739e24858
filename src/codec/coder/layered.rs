//! The layers of a layered file (docs/FORMAT.md, "Layered files"): the base (each
//! text's skills in order) and the exact bytes given the skill sequence.
//!
//! Base: the texts' skills are rendered as text (skills separated by spaces, a line
//! end after each text) and coded with the context-mixing coder, primed with the
//! priming text rendered the same way; the match model and the word contexts then
//! see repeated skills and repeated texts. A file without a codebook adds each
//! distinct skill's rank (0 outside the codebook, else its count plus one), so that
//! its sets decode in the set level's canonical order. A second stage refines each
//! bit with contexts over whole skills (the previous ones, the previous text's).
//!
//! Exact: at each word start a start decision, from a small context-mixing model of
//! its own, says whether one of the next expected skills is spelled here (then which
//! one and its case). The skill's bytes then enter the byte coder's history without
//! being coded or learned, so that coder, whose order-0 input is replaced by a context
//! of the next expected skill and the last two bytes, models only the text around the
//! skills while its contexts still see the words. A second side context tells it how
//! many text boundaries the base puts before the next skill, and a second stage
//! refines its bits with contexts of those boundaries and the skills.
//!
//! `SEMZIP_LAYER_COSTS=1` makes the encoder print the bytes each part of a run costs
//! (measurement aid), beside those of exact-only coding of the same bytes.

use super::bitrc::{BitDec, BitEnc};
use super::cmx::Cm;
use super::exact::max_units;
use super::hashmix::{HashMixer, Shape};
use super::models::{FxMap, mix};
use super::{CoderContext, read_varint, write_varint};
use crate::{Error, Result};

/// Residual marker: the next skill, in lower case as it is spelled.
const M_LOWER: u8 = 1;
/// Residual marker: the next skill with its first letter upper case.
const M_CAP: u8 = 2;
/// Residual marker: the next skill in upper case.
const M_UPPER: u8 = 3;
/// Residual marker: the next skill in mixed ASCII case (one coded bit per lower-case
/// letter of the skill says whether it is upper case here).
const M_MIXED: u8 = 6;
/// Expected skills looked ahead when a word is not the next one.
const LOOKAHEAD: usize = 3;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// The marker for the bytes at the start of `rest` spelling `skill` (lower case,
/// Capitalized or UPPER) up to a word boundary, if they do.
fn marker(rest: &[u8], skill: &[u8]) -> Option<u8> {
    let n = skill.len();
    if n == 0 || rest.len() < n || rest.get(n).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    let word = &rest[..n];
    if word == skill {
        return Some(M_LOWER);
    }
    if word[0].is_ascii_uppercase()
        && word[0].to_ascii_lowercase() == skill[0]
        && word[1..] == skill[1..]
    {
        return Some(M_CAP);
    }
    if word
        .iter()
        .zip(skill)
        .all(|(&w, &s)| w == s.to_ascii_uppercase())
    {
        return Some(M_UPPER);
    }
    if word
        .iter()
        .zip(skill)
        .all(|(&w, &s)| w.to_ascii_lowercase() == s)
    {
        return Some(M_MIXED);
    }
    None
}

/// Codes the case of a mixed-case skill (`word`: as spelled; ignored when decoding):
/// whether it is spelled as the last time it was mixed, else [`code_case`]. Returns
/// the word.
fn code_mixed(io: &mut impl BitIo, m: &mut Starts, skill: &[u8], word: &[u8]) -> Vec<u8> {
    let w = match m.spelled.get(skill) {
        Some(last) if io.bit(&mut m.again, u32::from(word == last)) == 1 => last.clone(),
        _ => code_case(io, &mut m.mixed, skill, word),
    };
    m.spelled.insert(skill.to_vec(), w.clone());
    w
}

/// Codes the case of a mixed-case skill: one bit per ASCII lower-case letter of
/// `skill` (1: upper case in `word`; ignored when decoding). Returns the word.
fn code_case(io: &mut impl BitIo, m: &mut [Bit; 4], skill: &[u8], word: &[u8]) -> Vec<u8> {
    let mut out = skill.to_vec();
    let mut prev = 0usize;
    for (i, b) in out.iter_mut().enumerate() {
        if b.is_ascii_lowercase() {
            let up = word.get(i).is_some_and(|w| w.is_ascii_uppercase());
            let bit = io.bit(&mut m[prev + 2 * usize::from(i == 0)], u32::from(up));
            if bit == 1 {
                b.make_ascii_uppercase();
            }
            prev = bit as usize;
        }
    }
    out
}

fn spelled(skill: &[u8], m: u8) -> Vec<u8> {
    let mut v = skill.to_vec();
    match m {
        M_CAP => v[0] = v[0].to_ascii_uppercase(),
        M_UPPER => v.make_ascii_uppercase(),
        _ => {}
    }
    v
}

/// Hashed contexts of the "a skill starts here" decision.
const NF: usize = 14;

/// The decision "the next expected skill is spelled here", made at each word start,
/// by a small context-mixing model of its own: the markers never enter the byte
/// coder's history, whose contexts stay those of plain text.
#[derive(Clone)]
struct Starts {
    mix: HashMixer,
    /// Which skill (0: the next one, else one passed over).
    which: [Bit; 2 * 4],
    mixed: [Bit; 4],
    /// The last decisions of this model, one bit each (case: the last marks).
    run: u64,
    /// Each skill's last mixed-case spelling, and P(a mixed-case skill is spelled
    /// as last time).
    spelled: FxMap<Vec<u8>, Vec<u8>>,
    again: Bit,
}

impl Starts {
    fn new(n: usize) -> Self {
        let shape = Shape {
            contexts: NF,
            direct: 0,
            sets: 64,
            extra_bits: 1,
            rate_shift: 10,
        };
        Starts {
            mix: HashMixer::new(shape, n, |_| (1 << 16) / 4),
            // A skill passed over is rare: a fresh model starts near 1/32.
            which: [Bit(1 << 11); 8],
            mixed: [Bit::HALF; 4],
            run: 0,
            spelled: FxMap::default(),
            again: Bit::HALF,
        }
    }

    fn p(&mut self, hs: &[u64; NF], set: usize) -> u32 {
        self.mix.p(hs, |i| i as u64 + 1, &[], set)
    }

    fn update(&mut self, bit: u32) {
        self.mix.update(bit);
    }
}

/// What the start model sees of the bytes so far.
struct Seen {
    c4: u64,
    word: u64,
    word1: u64,
    word2: u64,
    /// The word before was a skill (and the one before that).
    skill1: bool,
    skill2: bool,
    cur_skill: bool,
    line: u64,
    /// Line feeds since the last skill (capped at 3; 3 at the run's start).
    nl: u64,
    /// The byte coder's match model's prediction, and whether the next expected
    /// skill is the first of its text (set before each start decision).
    mm: Option<(u8, usize)>,
    first: bool,
    /// Line feeds since the last skill (uncapped; 0 at the run's start).
    lfs: u64,
    /// Bytes since the last line feed.
    col: u64,
    /// Text boundaries the base puts between the last skill and the next, less
    /// `lfs`, clamped to -1..=3, plus 1 (set before each position).
    gap: u64,
}

impl Seen {
    fn new() -> Self {
        Seen {
            c4: 0,
            word: 0,
            word1: 0,
            word2: 0,
            skill1: false,
            skill2: false,
            cur_skill: false,
            line: 0,
            nl: 3,
            mm: None,
            first: false,
            lfs: 0,
            col: 0,
            gap: 0,
        }
    }

    fn push(&mut self, c: u8) {
        self.c4 = (self.c4 << 8) | c as u64;
        self.line = if c == b'\n' {
            self.nl = (self.nl + 1).min(3);
            self.lfs += 1;
            self.col = 0;
            0
        } else {
            (self.line ^ c as u64).wrapping_mul(0x100_0000_01b3) | 1
        };
        if c != b'\n' {
            self.col += 1;
        }
        if is_word_byte(c) {
            self.word = (self.word ^ c.to_ascii_lowercase() as u64)
                .wrapping_mul(0x2000_0000_0000_0035)
                .wrapping_add(1);
        } else if self.word != 0 {
            self.word2 = self.word1;
            self.word1 = self.word;
            self.word = 0;
            self.skill2 = self.skill1;
            self.skill1 = self.cur_skill;
            self.cur_skill = false;
        }
    }

    /// A skill was spelled.
    fn skill_done(&mut self) {
        self.cur_skill = true;
        self.nl = 0;
        self.lfs = 0;
    }

    fn cls(&self) -> usize {
        match self.c4 as u8 {
            b' ' => 0,
            b'\n' => 1,
            b'.' | b'!' | b'?' | b'"' | b'\'' | b'(' => 2,
            _ => 3,
        }
    }

    fn contexts(&self, skill: u64, mm: u64, first: bool, run: u64) -> [u64; NF] {
        let ks = u64::from(self.skill1) | u64::from(self.skill2) << 1;
        [
            mix(
                self.gap << 3 | self.nl << 1 | u64::from(first),
                self.c4 & 0xff | ks << 8,
            ),
            mix(mm, self.c4 & 0xff),
            mix(self.c4 & 0xffff, ks),
            mix(self.word1, self.c4 & 0xff),
            mix(skill, ks),
            mix(skill, self.word1),
            mix(self.word2, self.word1 ^ ks << 60),
            mix(self.c4 & 0xffff_ffff, 3),
            mix(self.c4 & 0xffff_ffff_ffff, 4),
            mix(self.line, 5),
            mix(skill, self.c4 & 0xffff),
            mix(run & 0xff, self.c4 & 0xff | self.gap << 8),
            mix(col_bucket(self.col), self.c4 & 0xff | ks << 8),
            mix(skill, run & 0xf),
        ]
    }

    /// The contexts of the case decisions (`k`: which one).
    fn case_contexts(&self, skill: u64, k: u64, run: u64) -> [u64; NF] {
        let ks = u64::from(self.skill1) | u64::from(self.skill2) << 1;
        [
            mix(skill, k),
            mix(skill, self.c4 & 0xffff ^ k << 20),
            mix(self.c4 & 0xff_ffff, k),
            mix(self.word1, k ^ ks << 4),
            mix(self.line, k),
            mix(k, ks ^ (self.c4 & 0xff) << 8),
            mix(self.c4 & 0xffff_ffff_ffff, k),
            mix(skill, self.word1 ^ k),
            mix(self.word2, self.word1 ^ k << 2),
            mix(skill ^ k, self.line),
            mix(k, self.c4 & 0xffff),
            mix(k, run & 0xff),
            mix(skill ^ k, run & 0xf),
            mix(k ^ col_bucket(self.col) << 4, self.c4 & 0xff),
        ]
    }
}

/// Codes the start decisions at one word start: whether one of the next expected
/// skills is spelled here (`hit`: which and its marker; ignored when decoding) and
/// then which one and its case. Returns what was coded.
fn code_start(
    io: &mut impl BitIo,
    (m, cm): &mut (Starts, Starts),
    seen: &Seen,
    skills: &[&[u8]],
    p: usize,
    hit: Option<(usize, u8)>,
) -> Option<(usize, u8)> {
    let id = xxhash_rust::xxh3::xxh3_64(skills[p]);
    let cls = seen.cls();
    let set = cls * 4 + usize::from(seen.skill1) * 2 + usize::from(seen.skill2);
    // The byte coder's match model: whether it predicts the skill's first byte.
    let mm = match seen.mm {
        Some((b, l)) => {
            let lb = (l.min(32) / 4) as u64;
            let agree = skills[p]
                .first()
                .is_some_and(|f| f.eq_ignore_ascii_case(&b));
            1 + (lb << 2 | u64::from(agree) << 1 | u64::from(is_word_byte(b)))
        }
        None => 0,
    };
    let first = seen.first;
    let set = set + 16 * if seen.gap > 1 { 2 } else { usize::from(first) };
    let pr = m.p(&seen.contexts(id, mm, first, m.run), set);
    tally::part(3);
    let bit = io.code_p(pr, u32::from(hit.is_some()));
    m.update(bit);
    m.run = m.run << 1 | u64::from(bit);

    if bit == 0 {
        return None;
    }
    let mut d = 0;
    let want = hit.map_or(0, |h| h.0);
    let ahead = LOOKAHEAD.min(skills.len() - p);
    tally::part(4);
    while d + 1 < ahead && io.bit(&mut m.which[d * 4 + cls], u32::from(want > d)) == 1 {
        d += 1;
    }
    let case = hit.map_or(0, |h| h.1);
    let mut c = M_LOWER;
    tally::part(5);
    if skills[p + d].iter().any(u8::is_ascii_lowercase) {
        for (k, mk) in [M_LOWER, M_CAP, M_UPPER].into_iter().enumerate() {
            let pr = cm.p(&seen.case_contexts(id, k as u64, cm.run), 48 + k * 4 + cls);
            let b = io.code_p(pr, u32::from(case != mk));
            cm.update(b);
            if b == 0 {
                c = mk;
                break;
            }
            c = M_MIXED;
        }
    }
    cm.run = cm.run << 2 | u64::from(c & 3);
    Some((d, c))
}

/// A line position in buckets: exact up to 8, then by 8 up to 80.
fn col_bucket(col: u64) -> u64 {
    if col < 8 { col } else { 8 + col.min(80) / 8 }
}

/// Codes byte `c` (ignored when decoding) with `code` as `Cm::code_byte` does, each
/// bit's probability refined by the second stage `post` in contexts `hs` (weight set
/// `set` of 8 per bit position).
fn code_post(
    state: &mut Cm,
    post: &mut Post,
    hs: &[u64; NB],
    set: usize,
    c: u8,
    mut code: impl FnMut(u32, u32) -> u32,
) -> u8 {
    let mut hit = state.long_match();
    let mut c0 = 1u64;
    let mut bitpos = 0usize;
    state.code_byte(c, |p, bit| {
        if hit {
            // The long match's "its byte comes" decision.
            hit = false;
            return code(p, bit);
        }
        let q = post.p(hs, c0, p, bitpos * 8 + set);
        let bit = code(q, bit);
        post.update(bit);
        c0 = c0 << 1 | bit as u64;
        bitpos += 1;
        bit
    })
}

/// The exact layer's second stage's weight set (of 8): the gap plus 1 (capped at 3)
/// and whether the last byte is a word byte.
fn post_set(seen: &Seen) -> usize {
    seen.gap.min(3) as usize + 4 * usize::from(is_word_byte(seen.c4 as u8))
}

/// The contexts of the exact layer's second stage.
fn exact_post_contexts(skills: &[&[u8]], p: usize, seen: &Seen) -> [u64; NB] {
    let s2 = side_ctx2(skills, p, seen);
    let id = next_ctx(skills, p);
    let last = p.checked_sub(1).map_or(0, |q| next_ctx(skills, q));
    [
        mix(s2, seen.c4 & 0xffff),
        mix(id, seen.word),
        mix(mix(id, s2), seen.c4 & 0xff),
        mix(last, seen.c4 & 0xffff),
        mix(mix(col_bucket(seen.col), s2), seen.c4 & 0xff),
        mix(mix(seen.word1, seen.word), 7),
        mix(id, seen.c4 & 0xff_ffff),
    ]
}

fn code_byte(
    state: &mut Cm,
    post: &mut Post,
    seen: &Seen,
    skills: &[&[u8]],
    p: usize,
    enc: &mut BitEnc,
    c: u8,
) {
    let hs = exact_post_contexts(skills, p, seen);
    code_post(state, post, &hs, post_set(seen), c, |p, bit| {
        tally::add(p, bit);
        enc.code(bit, p);
        bit
    });
}

fn decode_byte(
    state: &mut Cm,
    post: &mut Post,
    seen: &Seen,
    skills: &[&[u8]],
    p: usize,
    dec: &mut BitDec,
) -> u8 {
    let hs = exact_post_contexts(skills, p, seen);
    code_post(state, post, &hs, post_set(seen), 0, |p, _| dec.decode(p))
}

/// The side context of the exact layer's coder: the next expected skill (1: none).
/// The side context of the exact layer's coder for the next byte: the next expected
/// skill, and whether it opens a text while no line feed passed since the last skill.
fn side_ctx(skills: &[&[u8]], p: usize, seen: &Seen) -> u64 {
    let e = next_ctx(skills, p);
    if e > 1 && seen.first && seen.nl == 0 {
        e ^ 0x1000
    } else {
        e
    }
}

/// The second side context of the exact layer's coder: where the base puts the
/// text boundaries before the next expected skill.
fn side_ctx2(skills: &[&[u8]], p: usize, seen: &Seen) -> u64 {
    2 + (seen.gap << 1 | u64::from(seen.first) | u64::from(p >= skills.len()) << 4)
}

fn next_ctx(skills: &[&[u8]], p: usize) -> u64 {
    match skills.get(p) {
        Some(s) => xxhash_rust::xxh3::xxh3_64(s) | 2,
        None => 1,
    }
}

/// Per-part costs of a layered run in bits (measurement aid, `SEMZIP_LAYER_COSTS`):
/// which part the encoder is coding now, and the bits spent per part so far.
mod tally {
    use std::cell::{Cell, RefCell};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The parts, in the order [`take`] returns them.
    pub const PARTS: [&str; 11] = [
        "base skill bytes",
        "base separators",
        "base rank table",
        "start decisions",
        "which skill",
        "case",
        "exact other bytes",
        "exact-only: skill bytes",
        "exact-only: other bytes",
        "exact line feeds",
        "exact-only: line feeds",
    ];
    const N: usize = PARTS.len();
    static ON: AtomicBool = AtomicBool::new(false);
    thread_local! {
        static PART: Cell<usize> = const { Cell::new(0) };
        static BITS: RefCell<[f64; N]> = const { RefCell::new([0.0; N]) };
        static COUNT: RefCell<[u64; N]> = const { RefCell::new([0; N]) };
    }

    /// Starts counting on every thread when the environment asks for it.
    pub fn enable_if_asked() {
        if std::env::var_os("SEMZIP_LAYER_COSTS").is_some() {
            ON.store(true, Ordering::Relaxed);
        }
    }

    /// Whether counting is on.
    pub fn on() -> bool {
        ON.load(Ordering::Relaxed)
    }

    /// The part the following decisions belong to.
    pub(super) fn part(i: usize) {
        if on() {
            PART.with(|p| p.set(i));
        }
    }

    /// Counts a decision of P(1) = `p` / 4096 that came out `bit`.
    #[inline]
    pub(super) fn add(p: u32, bit: u32) {
        if on() {
            let q = if bit == 1 { p } else { 4096 - p } as f64 / 4096.0;
            let i = PART.with(Cell::get);
            BITS.with(|b| b.borrow_mut()[i] -= q.log2());
            COUNT.with(|b| b.borrow_mut()[i] += 1);
        }
    }

    /// This thread's bits per part since the last call, reset.
    pub fn take() -> ([f64; N], [u64; N]) {
        (
            BITS.with(|b| std::mem::take(&mut *b.borrow_mut())),
            COUNT.with(|b| std::mem::take(&mut *b.borrow_mut())),
        )
    }
}

/// Bits an exact-only coding of `data` spends on the skills' words (as the layered
/// exact layer finds them) and on the rest, counted in [`tally`].
fn tally_exact_only(ctx: &CoderContext, skills: &[&[u8]], data: &[u8]) {
    let mut state = ctx.exact_state(data.len());
    state.reserve(data.len());
    let (mut p, mut i) = (0usize, 0usize);
    let mut skill_end = 0usize;
    while i < data.len() {
        if i >= skill_end
            && (i == 0 || !is_word_byte(data[i - 1]))
            && p < skills.len()
            && let Some(d) = (0..LOOKAHEAD.min(skills.len() - p))
                .find(|&d| marker(&data[i..], skills[p + d]).is_some())
        {
            skill_end = i + skills[p + d].len();
            p += d + 1;
        }
        tally::part(if i < skill_end {
            7
        } else if data[i] == b'\n' {
            10
        } else {
            8
        });
        state.code_byte(data[i], |q, bit| {
            tally::add(q, bit);
            bit
        });
        i += 1;
    }
}

/// Payload mode: the bytes were coded.
const MODE_CODED: u8 = 0;
/// Payload mode: the bytes are stored as they are.
const MODE_STORED: u8 = 1;

/// Start models cached by the priming text's hash and their table sizes.
type StartCache = Vec<((u64, usize, usize), std::sync::Arc<(Starts, Starts)>)>;

/// The start and case models for `n` bytes holding `skills` skills, having learned
/// the context's priming text (its lines' skills by the `words-nostop` extractor), so
/// that short runs, such as one-line messages, start from its statistics.
fn start_models(ctx: &CoderContext, n: usize, skills: usize) -> (Starts, Starts) {
    static CACHE: std::sync::Mutex<StartCache> = std::sync::Mutex::new(Vec::new());
    let mut ms = (Starts::new(n), Starts::new(skills));
    if ctx.prime.is_empty() {
        return ms;
    }
    let key = (
        xxhash_rust::xxh3::xxh3_64(&ctx.prime),
        ms.0.mix.table_size(),
        ms.1.mix.table_size(),
    );
    let small = ms.0.mix.table_size() <= 1 << 16 && ms.1.mix.table_size() <= 1 << 16;
    if small {
        let c = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, e)) = c.iter().find(|(k, _)| *k == key) {
            return (e.0.clone(), e.1.clone());
        }
    }
    learn_starts(&mut ms, &ctx.prime);
    if small {
        let mut c = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if !c.iter().any(|(k, _)| *k == key) {
            c.push((key, std::sync::Arc::new(ms.clone())));
        }
    }
    ms
}

/// A priming text's skills per line (by the `words-nostop` extractor) and their
/// layout, as the exact layer sees a run's texts.
fn priming_skills(text: &[u8]) -> Option<(Vec<Vec<String>>, Layout)> {
    let ex = crate::text::extract::Extractor::words(true).ok()?;
    let words: Vec<Vec<String>> = text
        .split_inclusive(|&b| b == b'\n')
        .map(|l| ex.skills(&String::from_utf8_lossy(l)))
        .collect();
    let counts: Vec<usize> = words.iter().map(Vec::len).collect();
    let layout = Layout::new(&counts);
    Some((words, layout))
}

/// Learns the start and case decisions of `text` as the encoder would code them
/// (its lines' skills by the `words-nostop` extractor; no match model).
fn learn_starts(ms: &mut (Starts, Starts), text: &[u8]) {
    let Some((words, layout)) = priming_skills(text) else {
        return;
    };
    let skills: Vec<&[u8]> = words.iter().flatten().map(|w| w.as_bytes()).collect();
    let mut seen = Seen::new();
    let (mut p, mut i) = (0usize, 0usize);
    while i < text.len() {
        layout.at(p, &mut seen);
        if (i == 0 || !is_word_byte(text[i - 1])) && p < skills.len() {
            let hit = (0..LOOKAHEAD.min(skills.len() - p))
                .find_map(|d| marker(&text[i..], skills[p + d]).map(|m| (d, m)));
            if let Some((d, _)) = code_start(&mut Learn, ms, &seen, &skills, p, hit) {
                for &c in &text[i..i + skills[p + d].len()] {
                    seen.push(c);
                }
                seen.skill_done();
                i += skills[p + d].len();
                p += d + 1;
                continue;
            }
        }
        seen.push(text[i]);
        i += 1;
    }
}

/// The exact layer's byte coder's starting state for `n` bytes: having learned the
/// context's priming text as the exact layer codes it (its lines' skills by the
/// `words-nostop` extractor pass, the rest is learned with the side contexts), so
/// that the side contexts start with statistics too.
fn exact_state(ctx: &CoderContext, n: usize) -> Cm {
    static PRIMES: PrimeCache<super::PrimedStates<Cm>> = std::sync::Mutex::new(Vec::new());
    let cache = by_prime(&PRIMES, &ctx.prime, Default::default);
    let sizes = Cm::sizes_for(ctx.prime.len() + n);
    super::primed_state(&cache, &ctx.prime, sizes, Cm::new, prime_exact)
}

/// Learns `text` as the exact layer would code it (see [`exact_state`]).
fn prime_exact(cm: &mut Cm, text: &[u8]) {
    let Some((words, layout)) = priming_skills(text) else {
        return;
    };
    let skills: Vec<&[u8]> = words.iter().flatten().map(|w| w.as_bytes()).collect();
    let mut seen = Seen::new();
    cm.reserve(text.len());
    let (mut p, mut i) = (0usize, 0usize);
    while i < text.len() {
        layout.at(p, &mut seen);
        cm.set_ext(side_ctx(&skills, p, &seen));
        cm.set_ext2(side_ctx2(&skills, p, &seen));
        if (i == 0 || !is_word_byte(text[i - 1])) && p < skills.len() {
            let hit = (0..LOOKAHEAD.min(skills.len() - p))
                .find(|&d| marker(&text[i..], skills[p + d]).is_some());
            if let Some(d) = hit {
                let w = &text[i..i + skills[p + d].len()];
                cm.pass(w);
                for &c in w {
                    seen.push(c);
                }
                seen.skill_done();
                i += w.len();
                p += d + 1;
                continue;
            }
        }
        cm.code_byte(text[i], |_, b| b);
        seen.push(text[i]);
        i += 1;
    }
    cm.set_ext(0);
    cm.set_ext2(0);
}

/// Learns decisions without coding them.
struct Learn;

impl BitIo for Learn {
    fn bit(&mut self, m: &mut Bit, bit: u32) -> u32 {
        m.learn(bit);
        bit
    }

    fn code_p(&mut self, _: u32, bit: u32) -> u32 {
        bit
    }
}

/// Where the flattened skills stand in their texts, from the texts' skill counts.
struct Layout {
    /// Each skill's text.
    text_of: Vec<usize>,
    /// Whether each skill is the first of its text.
    first: Vec<bool>,
    texts: usize,
}

impl Layout {
    fn new(counts: &[usize]) -> Self {
        let n = counts.iter().sum();
        let (mut text_of, mut first) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (t, &k) in counts.iter().enumerate() {
            text_of.extend(std::iter::repeat_n(t, k));
            first.extend((0..k).map(|i| i == 0));
        }
        Layout {
            text_of,
            first,
            texts: counts.len(),
        }
    }

    /// Sets what `seen` knows of skill `p` (the next expected one).
    fn at(&self, p: usize, seen: &mut Seen) {
        seen.first = self.first.get(p).is_some_and(|&f| f);
        let before = p.checked_sub(1).map_or(0, |q| self.text_of[q] + 1);
        let next = self.text_of.get(p).copied().unwrap_or(self.texts);
        let between = next.saturating_sub(before) as i64 + i64::from(p > 0);
        seen.gap = ((between - seen.lfs as i64).clamp(-1, 3) + 1) as u64;
    }
}

/// Codes `data` given the skill sequence of its texts, flattened (`skills`; `counts`:
/// each text's number of skills).
pub fn encode_exact(
    ctx: &CoderContext,
    skills: &[&[u8]],
    counts: &[usize],
    data: &[u8],
) -> Vec<u8> {
    let layout = Layout::new(counts);
    let mut state = exact_state(ctx, data.len());
    state.reserve(data.len());
    let mut enc = BitEnc::new(Vec::with_capacity(data.len() / 4 + 16));
    let mut ms = start_models(ctx, data.len(), skills.len());
    let mut post = Post::new(data.len());
    let mut seen = Seen::new();
    let mut p = 0usize;
    let mut i = 0usize;
    while i < data.len() {
        let at_start = i == 0 || !is_word_byte(data[i - 1]);
        seen.mm = state.predicted();
        layout.at(p, &mut seen);
        state.set_ext(side_ctx(skills, p, &seen));
        state.set_ext2(side_ctx2(skills, p, &seen));
        if at_start && p < skills.len() {
            let hit = (0..LOOKAHEAD.min(skills.len() - p))
                .find_map(|d| marker(&data[i..], skills[p + d]).map(|m| (d, m)));
            if let Some((d, mk)) = code_start(&mut enc, &mut ms, &seen, skills, p, hit) {
                let s = skills[p + d];
                let w = &data[i..i + s.len()];
                if mk == M_MIXED {
                    code_mixed(&mut enc, &mut ms.0, s, w);
                }
                state.pass(w);
                for &c in w {
                    seen.push(c);
                }
                seen.skill_done();
                p += d + 1;
                i += s.len();
                continue;
            }
        }
        tally::part(if data[i] == b'\n' { 9 } else { 6 });
        code_byte(&mut state, &mut post, &seen, skills, p, &mut enc, data[i]);
        seen.push(data[i]);
        i += 1;
    }
    let body = enc.finish();
    if tally::on() {
        // The base was coded just before on this thread (`codec::layered::encode_run`).
        tally_exact_only(ctx, skills, data);
        let (bits, counts) = tally::take();
        let line: Vec<String> = tally::PARTS
            .iter()
            .zip(bits)
            .zip(counts)
            .map(|((n, b), k)| format!("{n} {:.0} ({k})", b / 8.0))
            .collect();
        eprintln!("layer costs (bytes): {}", line.join(", "));
    }
    let mut out = Vec::with_capacity(body.len() + 12);
    if body.len() + 10 >= data.len() {
        out.push(MODE_STORED);
        out.extend_from_slice(data);
        return out;
    }
    out.push(MODE_CODED);
    out.extend_from_slice(&body);
    // Very repetitive bytes: zeros (read as the body's end) keep the decoder's bound.
    while data.len() > max_units(out.len()) + skills.len() * 64 {
        out.push(0);
    }
    out
}

/// Decodes a payload of [`encode_exact`] into `len` bytes (the record's original
/// length), with the same skills.
pub fn decode_exact(
    ctx: &CoderContext,
    skills: &[&[u8]],
    counts: &[usize],
    payload: &[u8],
    len: usize,
) -> Result<Vec<u8>> {
    let layout = Layout::new(counts);
    let corrupt = || Error::corrupt("exact layer payload is corrupt (decoding failed)");
    match payload.split_first() {
        Some((&MODE_STORED, b)) if b.len() == len => return Ok(b.to_vec()),
        Some((&MODE_CODED, _)) => {}
        _ => return Err(corrupt()),
    }
    if len > max_units(payload.len()) + skills.len() * 64 {
        return Err(corrupt());
    }
    let mut state = exact_state(ctx, len);
    state.reserve(len);
    let mut dec = BitDec::new(&payload[1..]);
    let mut ms = start_models(ctx, len, skills.len());
    let mut post = Post::new(len);
    let mut seen = Seen::new();
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut p = 0usize;
    while out.len() < len {
        let at_start = out.last().is_none_or(|&b| !is_word_byte(b));
        seen.mm = state.predicted();
        layout.at(p, &mut seen);
        state.set_ext(side_ctx(skills, p, &seen));
        state.set_ext2(side_ctx2(skills, p, &seen));
        if at_start
            && p < skills.len()
            && let Some((d, mk)) = code_start(&mut dec, &mut ms, &seen, skills, p, None)
        {
            let s = skills[p + d];
            if s.is_empty() || out.len() + s.len() > len {
                return Err(corrupt());
            }
            let w = if mk == M_MIXED {
                code_mixed(&mut dec, &mut ms.0, s, &[])
            } else {
                spelled(s, mk)
            };
            state.pass(&w);
            for &c in &w {
                seen.push(c);
            }
            seen.skill_done();
            out.extend_from_slice(&w);
            p += d + 1;
            continue;
        }
        let c = decode_byte(&mut state, &mut post, &seen, skills, p, &mut dec);
        seen.push(c);
        out.push(c);
    }
    Ok(out)
}

/// An adaptive binary decision (16-bit probability of a 1).
#[derive(Clone, Copy)]
struct Bit(u16);

impl Bit {
    const HALF: Bit = Bit(1 << 15);

    fn p(self) -> u32 {
        ((self.0 >> 4) as u32).clamp(1, 4095)
    }

    fn learn(&mut self, bit: u32) {
        if bit == 1 {
            self.0 += (65535 - self.0) >> 4;
        } else {
            self.0 -= self.0 >> 4;
        }
    }
}

/// Codes one bit of a base payload's rank table with an adaptive model.
trait BitIo {
    fn bit(&mut self, m: &mut Bit, bit: u32) -> u32;
    /// Codes a bit of P(1) = `p` / 4096 (`bit` ignored when decoding).
    fn code_p(&mut self, p: u32, bit: u32) -> u32;
}

impl BitIo for BitEnc {
    fn code_p(&mut self, p: u32, bit: u32) -> u32 {
        tally::add(p, bit);
        self.code(bit, p);
        bit
    }

    fn bit(&mut self, m: &mut Bit, bit: u32) -> u32 {
        tally::add(m.p(), bit);
        self.code(bit, m.p());
        m.learn(bit);
        bit
    }
}

impl BitIo for BitDec<'_> {
    fn code_p(&mut self, p: u32, _: u32) -> u32 {
        self.decode(p)
    }

    fn bit(&mut self, m: &mut Bit, _: u32) -> u32 {
        let b = self.decode(m.p());
        m.learn(b);
        b
    }
}

/// The models of the rank table: "the rank is the text count plus one", then an
/// Elias-gamma code (length in unary, then the bits below the top one).
struct RankModel {
    same: [Bit; 2],
    len: [[Bit; 64]; 8],
    low: [[Bit; 64]; 2],
}

impl RankModel {
    fn new() -> Self {
        RankModel {
            same: [Bit::HALF; 2],
            len: [[Bit::HALF; 64]; 8],
            low: [[Bit::HALF; 64]; 2],
        }
    }

    /// Codes `v` (ignored when decoding) for a skill that `df` texts hold.
    fn code(&mut self, io: &mut impl BitIo, v: u64, df: u64) -> u64 {
        let fits = df.checked_add(1);
        let sc = usize::from(df > 1);
        if let Some(f) = fits
            && io.bit(&mut self.same[sc], u32::from(v == f)) == 1
        {
            return f;
        }
        // v + 1 >= 1: its bit length n (1..=64) in unary, then its n - 1 low bits.
        let x = v.saturating_add(1);
        let n = 64 - x.leading_zeros() as usize;
        let dc = (64 - df.leading_zeros() as usize).min(7);
        let mut got = 1usize;
        while got < 64 && io.bit(&mut self.len[dc][got], u32::from(got < n)) == 1 {
            got += 1;
        }
        let mut y = 1u64;
        for i in (0..got - 1).rev() {
            let b = io.bit(
                &mut self.low[usize::from(i + 1 == got - 1)][i],
                ((x >> i) & 1) as u32,
            );
            y = (y << 1) | b as u64;
        }
        y - 1
    }
}

/// Base payload: the rendering of the texts was coded (with a rank table or not).
const BASE_CODED: u8 = 0;

/// Escapes a skill for the base rendering: separators and the escape byte are
/// written as `\s`, `\n`, `\\`; an empty skill is `\e`.
fn render_skill(out: &mut Vec<u8>, s: &[u8]) {
    if s.is_empty() {
        out.extend_from_slice(b"\\e");
    }
    for &b in s {
        match b {
            b' ' => out.extend_from_slice(b"\\s"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
}

fn unrender_skill(w: &[u8]) -> Option<Vec<u8>> {
    if w == b"\\e" {
        return Some(Vec::new());
    }
    let mut out = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if w[i] == b'\\' {
            out.push(match w.get(i + 1)? {
                b's' => b' ',
                b'n' => b'\n',
                b'\\' => b'\\',
                _ => return None,
            });
            i += 2;
        } else {
            out.push(w[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The base rendering: each text's skills in order, separated by spaces, each text
/// ended by a line end.
fn render_base(seqs: &[Vec<&[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in seqs {
        for (i, s) in seq.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            render_skill(&mut out, s);
        }
        out.push(b'\n');
    }
    out
}

/// Distinct skills in order of first use, with the number of texts holding each.
fn first_uses<'a>(seqs: &[Vec<&'a [u8]>]) -> Vec<(&'a [u8], u64)> {
    let mut at: FxMap<&[u8], usize> = FxMap::default();
    let mut out: Vec<(&[u8], u64)> = Vec::new();
    for seq in seqs {
        let mut seen: FxMap<&[u8], ()> = FxMap::default();
        for &s in seq {
            if seen.insert(s, ()).is_some() {
                continue;
            }
            let n = out.len();
            let i = *at.entry(s).or_insert(n);
            if i == n {
                out.push((s, 0));
            }
            out[i].1 += 1;
        }
    }
    out
}

/// Per-process values derived from a priming text, by the text's hash.
type PrimeCache<T> = std::sync::Mutex<Vec<(u64, std::sync::Arc<T>)>>;

/// The value `cache` holds for `prime`, made by `make` the first time.
fn by_prime<T>(cache: &PrimeCache<T>, prime: &[u8], make: impl FnOnce() -> T) -> std::sync::Arc<T> {
    let key = xxhash_rust::xxh3::xxh3_64(prime);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, e)) = c.iter().find(|(k, _)| *k == key) {
        return e.clone();
    }
    let e = std::sync::Arc::new(make());
    c.push((key, e.clone()));
    e
}

/// The starting state of the base layer's coder for `n` bytes: primed with the
/// context's priming text rendered as the base renders texts (each line's skills by
/// the default extractor, which drops stop words), so its contexts see text of the
/// same kind.
fn base_state(ctx: &CoderContext, n: usize) -> Cm {
    /// The base layer's priming text (the context's rendered) and its states.
    static PRIMES: PrimeCache<(Vec<u8>, super::PrimedStates<Cm>)> =
        std::sync::Mutex::new(Vec::new());
    let entry = by_prime(&PRIMES, &ctx.prime, || {
        (base_prime(&ctx.prime), Default::default())
    });
    let sizes = Cm::sizes_for(entry.0.len() + n);
    super::primed_state(&entry.1, &entry.0, sizes, Cm::new, prime_base)
}

/// The base coder's side context as the rendering goes: the index of the skill
/// being spelled in its text (capped at 15).
#[derive(Default)]
struct BaseExt {
    idx: u64,
}

impl BaseExt {
    fn set(&self, cm: &mut Cm) {
        cm.set_ext(self.idx.min(15) + 2);
    }

    fn push(&mut self, c: u8) {
        match c {
            b'\n' => self.idx = 0,
            b' ' => self.idx += 1,
            _ => {}
        }
    }
}

/// Hashed bit contexts of the base coder's second stage.
const NB: usize = 7;

/// The base coder's second stage: the byte coder's probability mixed with bit
/// predictions from contexts over whole skills (the byte coder sees only bytes).
#[derive(Clone)]
struct Post(HashMixer);

/// Weight sets of [`Post`]'s mixer.
const POST_SETS: usize = 64;

impl Post {
    fn new(n: usize) -> Self {
        let shape = Shape {
            contexts: NB,
            direct: 1,
            sets: POST_SETS,
            extra_bits: 2,
            rate_shift: 12,
        };
        // The byte coder's probability passes through until the contexts learn.
        Post(HashMixer::new(
            shape,
            n,
            |i| if i == NB { 1 << 16 } else { 0 },
        ))
    }

    fn p(&mut self, hs: &[u64; NB], c0: u64, pcm: u32, set: usize) -> u32 {
        self.0.p(hs, |_| c0, &[pcm], set)
    }

    fn update(&mut self, bit: u32) {
        self.0.update(bit);
    }
}

/// The token "end of text" in [`BaseTok`]'s stream.
const EOL: u64 = 1;

/// What the base coder's second stage sees: the rendering as skills (tokens).
#[derive(Default)]
struct BaseTok {
    idx: u64,
    prefix: u64,
    w1: u64,
    w2: u64,
    prev: Vec<u64>,
    cur: Vec<u64>,
    toks: Vec<u64>,
    at: FxMap<u64, usize>,
    pred: Option<usize>,
    hs: [u64; NB],
    /// The rendering so far, where each token of `toks` starts in it, where the
    /// current token starts, and whether its bytes so far are the predicted token's.
    hist: Vec<u8>,
    starts: Vec<usize>,
    cur_start: usize,
    ok: bool,
}

impl BaseTok {
    fn push_tok(&mut self, t: u64, start: usize) {
        self.at.insert(mix(self.w2, self.w1), self.toks.len());
        self.toks.push(t);
        self.starts.push(start);
        self.w2 = self.w1;
        self.w1 = t;
    }

    fn push(&mut self, c: u8) {
        let pos = self.hist.len();
        match c {
            b' ' | b'\n' => {
                let t = self.prefix | 2;
                if c == b' ' || !self.cur.is_empty() || self.prefix != 0 {
                    self.push_tok(t, self.cur_start);
                    self.cur.push(t);
                }
                self.prefix = 0;
                self.idx += 1;
                if c == b'\n' {
                    self.push_tok(EOL, pos);
                    self.prev = std::mem::take(&mut self.cur);
                    self.idx = 0;
                }
                self.pred = self.at.get(&mix(self.w2, self.w1)).copied();
                self.hist.push(c);
                self.cur_start = pos + 1;
                self.ok = true;
            }
            _ => {
                self.ok = self.ok && self.expected() == Some(c);
                self.hist.push(c);
                self.prefix = (self.prefix ^ c as u64)
                    .wrapping_mul(0x2000_0000_0000_0035)
                    .wrapping_add(1);
            }
        }
        let pt = self.pred.map_or(0, |i| self.toks[i]);
        let pn = self.pred.and_then(|i| self.toks.get(i + 1)) == Some(&EOL);
        let at_idx = self.prev.get(self.idx as usize).copied().unwrap_or(3);
        let (idx, pre) = (self.idx.min(31), self.prefix);
        self.hs = [
            mix(mix(self.w2, self.w1), pre),
            mix(mix(idx, self.prev.len().min(63) as u64), pre ^ 3),
            mix(at_idx, pre ^ 4),
            mix(mix(self.cur.first().copied().unwrap_or(0), idx), pre ^ 5),
            mix(mix(pt, u64::from(pn)), pre ^ 6),
            mix(mix(self.w1, idx.min(15)), pre ^ 7),
            mix(
                self.expected().map_or(256, u64::from) | u64::from(self.ok) << 9,
                (self.hist.len() - self.cur_start).min(15) as u64 ^ 8 << 8,
            ),
        ];
    }

    /// The predicted token's byte at the current position in the token (its
    /// separator after its bytes), if a token is predicted.
    fn expected(&self) -> Option<u8> {
        let i = self.pred?;
        let at = self.starts[i] + (self.hist.len() - self.cur_start);
        self.hist.get(at).copied().filter(|_| at < self.cur_start)
    }

    fn set(&self) -> usize {
        usize::from(self.pred.is_some() && self.ok) * 2
            + usize::from(self.idx == 0)
            + 4 * usize::from(self.prefix == 0)
    }
}

/// The base layer's byte coder: the context-mixing coder and its second stage.
struct BaseCoder {
    cm: Cm,
    post: Post,
    bx: BaseExt,
    tok: BaseTok,
}

impl BaseCoder {
    fn new(ctx: &CoderContext, n: usize) -> Self {
        let mut cm = base_state(ctx, n);
        cm.reserve(n);
        let mut tok = BaseTok::default();
        tok.push(b'\n');
        BaseCoder {
            cm,
            post: Post::new(n),
            bx: BaseExt::default(),
            tok,
        }
    }

    /// Codes byte `c` (ignored when decoding) with `code`, as `Cm::code_byte` does.
    fn code(&mut self, c: u8, code: impl FnMut(u32, u32) -> u32) -> u8 {
        self.bx.set(&mut self.cm);
        let tok = &self.tok;
        let b = code_post(&mut self.cm, &mut self.post, &tok.hs, tok.set(), c, code);
        self.bx.push(b);
        self.tok.push(b);
        b
    }
}

fn prime_base(cm: &mut Cm, text: &[u8]) {
    let mut bx = BaseExt::default();
    cm.reserve(text.len());
    for &c in text {
        bx.set(cm);
        cm.code_byte(c, |_, b| b);
        bx.push(c);
    }
    cm.set_ext(0);
}

/// A priming text rendered as the base layer renders texts.
fn base_prime(prime: &[u8]) -> Vec<u8> {
    let Ok(ex) = crate::text::extract::Extractor::words(true) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(prime);
    let skills: Vec<Vec<String>> = text.lines().map(|l| ex.skills(l)).collect();
    let refs: Vec<Vec<&[u8]>> = skills
        .iter()
        .map(|t| t.iter().map(|w| w.as_bytes()).collect())
        .collect();
    render_base(&refs)
}

/// Codes the base layer: each text's skills in order (`seqs`, as spelled) with the
/// context-mixing coder, then, when `rank` is given, each distinct skill's rank (0
/// outside the codebook, else its count plus one), in order of first use.
pub fn encode_base(
    ctx: &CoderContext,
    seqs: &[Vec<&[u8]>],
    rank: Option<super::RankOf<'_>>,
) -> Vec<u8> {
    tally::enable_if_asked();
    let text = render_base(seqs);
    let mut coder = BaseCoder::new(ctx, text.len());
    let mut enc = BitEnc::new(Vec::with_capacity(text.len() / 4 + 16));
    for &c in &text {
        tally::part(usize::from(c == b' ' || c == b'\n'));
        coder.code(c, |p, bit| {
            tally::add(p, bit);
            enc.code(bit, p);
            bit
        });
    }
    let mut units = text.len();
    if let Some(rank) = rank {
        let mut m = RankModel::new();
        let uses = first_uses(seqs);
        units += uses.len();
        tally::part(2);
        for (s, df) in uses {
            m.code(&mut enc, rank(s), df);
        }
    }
    let mut out = vec![BASE_CODED];
    write_varint(&mut out, text.len() as u64);
    out.extend_from_slice(&enc.finish());
    super::exact::pad(&mut out, units);
    out
}

/// Decodes a payload of [`encode_base`] holding `texts` texts (`ranks`: whether it
/// has a rank table).
pub fn decode_base(
    ctx: &CoderContext,
    payload: &[u8],
    texts: u64,
    ranks: bool,
) -> Result<super::BaseLayer> {
    let corrupt = || Error::corrupt("base layer payload is corrupt (decoding failed)");
    let body = match payload.split_first() {
        Some((&BASE_CODED, b)) => b,
        _ => return Err(corrupt()),
    };
    let (len, used) = read_varint(body).ok_or_else(corrupt)?;
    if len > max_units(payload.len()) as u64 || texts > len {
        return Err(corrupt());
    }
    let len = len as usize;
    let mut coder = BaseCoder::new(ctx, len);
    let mut dec = BitDec::new(&body[used..]);
    let text: Vec<u8> = (0..len)
        .map(|_| coder.code(0, |p, _| dec.decode(p)))
        .collect();
    if text.last().is_some_and(|&b| b != b'\n') {
        return Err(corrupt());
    }
    let mut seqs = Vec::with_capacity(texts as usize);
    for line in text.split(|&b| b == b'\n') {
        if seqs.len() as u64 == texts {
            break;
        }
        let seq = if line.is_empty() {
            Vec::new()
        } else {
            line.split(|&b| b == b' ')
                .map(unrender_skill)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(corrupt)?
        };
        seqs.push(seq);
    }
    let lines = text.iter().filter(|&&b| b == b'\n').count() as u64;
    if seqs.len() as u64 != texts || lines != texts {
        return Err(corrupt());
    }
    if !ranks {
        return Ok((seqs, None));
    }
    let mut table = std::collections::HashMap::new();
    {
        let refs: Vec<Vec<&[u8]>> = seqs
            .iter()
            .map(|s| s.iter().map(Vec::as_slice).collect())
            .collect();
        let uses = first_uses(&refs);
        if len + uses.len() > max_units(payload.len()) {
            return Err(corrupt());
        }
        let mut m = RankModel::new();
        for (s, df) in uses {
            let v = m.code(&mut dec, 0, df);
            table.insert(s.to_vec(), v);
        }
    }
    Ok((seqs, Some(table)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Codebook;

    #[test]
    fn a_skill_is_spelled_where_its_word_stands_in_any_case() {
        assert_eq!(marker(b"rabbit ran", b"rabbit"), Some(M_LOWER));
        assert_eq!(marker(b"Rabbit.", b"rabbit"), Some(M_CAP));
        assert_eq!(marker(b"RABBIT", b"rabbit"), Some(M_UPPER));
        assert_eq!(marker(b"fBls\n", b"fbls"), Some(M_MIXED));
        // Not at a word boundary, or another word.
        assert_eq!(marker(b"rabbits", b"rabbit"), None);
        assert_eq!(marker(b"rabbi", b"rabbit"), None);
        assert_eq!(marker(b"habbit", b"rabbit"), None);
        assert_eq!(marker(b"x", b""), None);
    }

    #[test]
    fn exact_layer_round_trips() {
        let ctx = CoderContext::new(&Codebook::default(), &[]);
        let data = b"Alice was beginning to get very tired of sitting by her sister\n\x01\x05\x06 odd ALICE SiStEr\n".repeat(20);
        let skills: Vec<&[u8]> = [
            b"alice".as_slice(),
            b"beginning",
            b"tired",
            b"sitting",
            b"sister",
            b"ghost",
            b"odd",
            b"alice",
            b"sister",
        ]
        .repeat(20);
        let p = encode_exact(&ctx, &skills, &[skills.len()], &data);
        assert!(p.len() < data.len() / 4, "{}", p.len());
        assert_eq!(
            decode_exact(&ctx, &skills, &[skills.len()], &p, data.len()).unwrap(),
            data
        );
        // A wrong length decodes that many bytes (the file's checksum catches it).
        let more = decode_exact(&ctx, &skills, &[skills.len()], &p, data.len() + 1).unwrap();
        assert_eq!(more.len(), data.len() + 1);
        assert_eq!(more[..data.len()], data[..]);
        // A length out of proportion to the payload is refused before decoding.
        assert!(decode_exact(&ctx, &skills, &[skills.len()], &p[..2], 1 << 30).is_err());
        // Knowing the skills makes the bytes cheaper than coding them alone.
        let alone = encode_exact(&ctx, &[], &[], &data);
        assert!(p.len() < alone.len(), "{} vs {}", p.len(), alone.len());
    }

    #[test]
    fn base_layer_round_trips_skills_and_ranks() {
        let ctx =
            CoderContext::new(&Codebook::default(), &[]).with_prime(b"the white rabbit ran\n");
        let texts: Vec<Vec<&[u8]>> = vec![
            vec![b"rabbit", b"white", b"rabbit"],
            vec![],
            vec![b"a b", b"", b"x\\n\n", b"\\e"],
            vec![b"white"],
        ];
        let rank = |w: &[u8]| w.len() as u64 % 3;
        let p = encode_base(&ctx, &texts, Some(&rank));
        let (got, ranks) = decode_base(&ctx, &p, 4, true).unwrap();
        let want: Vec<Vec<Vec<u8>>> = texts
            .iter()
            .map(|t| t.iter().map(|w| w.to_vec()).collect())
            .collect();
        assert_eq!(got, want);
        let ranks = ranks.unwrap();
        assert_eq!(ranks.len(), 6);
        assert!(ranks.iter().all(|(w, &r)| r == rank(w)));
        // Without a rank table, and with the wrong text count.
        let q = encode_base(&ctx, &texts, None);
        assert_eq!(decode_base(&ctx, &q, 4, false).unwrap(), (want, None));
        assert!(decode_base(&ctx, &q, 3, false).is_err());
        assert!(decode_base(&ctx, &q, 5, false).is_err());
        // Garbage decodes or fails, never panics.
        for i in 0..p.len() {
            let mut g = p.clone();
            g[i] ^= 0x5a;
            let _ = decode_base(&ctx, &g, 4, true);
        }
    }
}
