// Stage 5 of the pipeline, the way back: the WordPiece decoder (Hugging Face `decoders.WordPiece`).
//
// Tokens are joined with spaces, except that a piece starting with the continuation prefix is glued to the one
// before it (prefix removed). With `cleanup`, each token is cleaned as HF's Rust decoder does (" ." -> "." and
// friends). transformers 5.x's BertTokenizer stops there; the old Python tokenizer also ran
// `clean_up_tokenization` over the joined string ("don ' t" -> "don't"), available as `cleanUpTokenizationSpaces`.

export interface DecoderOptions {
  prefix: string;
  cleanup: boolean;
}

const TOKEN_CLEANUPS: ReadonlyArray<readonly [string, string]> = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"],
  [' do not', " don't"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];

const STRING_CLEANUPS: ReadonlyArray<readonly [string, string]> = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"],
  [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];

function applyAll(s: string, rules: ReadonlyArray<readonly [string, string]>): string {
  for (const [from, to] of rules) if (s.includes(from)) s = s.split(from).join(to);
  return s;
}

export class WordPieceDecoder {
  constructor(readonly options: Readonly<DecoderOptions>) {}

  decode(tokens: readonly string[], cleanUpTokenizationSpaces = false): string {
    const { prefix, cleanup } = this.options;
    let out = '';
    for (let i = 0; i < tokens.length; i++) {
      let token = tokens[i];
      if (i > 0) token = prefix.length > 0 && token.startsWith(prefix) ? token.slice(prefix.length) : ` ${token}`;
      out += cleanup ? applyAll(token, TOKEN_CLEANUPS) : token;
    }
    return cleanUpTokenizationSpaces ? applyAll(out, STRING_CLEANUPS) : out;
  }
}
