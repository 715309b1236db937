// The attention report: one self-contained HTML page showing, for each explained text, the words the [CLS] token
// attended to in one layer (all heads together, then each head on its own), with the prediction and the true label.

import { ClsAttention, normaliseByMax } from './attention';
import { escapeHtml, formatNumber, htmlDocument } from './html';
import { ExplainToken, WordSpan, joinWordPieces, tokensAsWords, wordWeights } from './words';

export interface ExplainedText {
  /** The text explained. */
  text: string;
  /** Second text of a pair. */
  textPair?: string;
  /** the real tokens (no padding), aligned with attention.positions */
  tokens: ExplainToken[];
  /** 0-based encoder layer the attention comes from */
  layer: number;
  /** The model's encoder layers. */
  numLayers: number;
  /** The [CLS] token's attention in `layer`, per head. */
  attention: ClsAttention;
  /** The predicted class. */
  predicted: string;
  /** Probability of every class, by name. */
  probabilities: Record<string, number>;
  /** The true class, when given. */
  trueLabel?: string;
}

export interface AttentionReportOptions {
  /** Page title. */
  title?: string;
  /** Line under the title. */
  subtitle?: string;
  /** show "##" pieces joined into words (default true) */
  joinWordPieces?: boolean;
  /** show [CLS]/[SEP] (default false: [SEP] soaks up attention and washes out the rest) */
  showSpecialTokens?: boolean;
  /** per-head panels (default true) */
  showHeads?: boolean;
}

// Orange with opacity = weight; text stays dark enough to read on the strongest shade.
function highlight(weight: number): string {
  return `rgba(230,80,20,${(0.85 * Math.max(0, Math.min(1, weight))).toFixed(3)})`;
}

// Words are separated as in the original text where offsets tell (no space before "," in "film, the"), else by a
// space.
function renderWords(words: readonly WordSpan[], weights: readonly number[]): string {
  let out = '';
  words.forEach((w, i) => {
    const prev = words[i - 1];
    if (prev && w.segment !== prev.segment) out += ' <span class="sep">‖</span> ';
    else if (prev && !(w.start >= 0 && prev.end >= 0 && w.start === prev.end)) out += ' ';
    const cls = w.special ? 'w special' : 'w';
    out += `<span class="${cls}" style="background:${highlight(weights[i])}" title="${formatNumber(weights[i], 3)}">${escapeHtml(w.text)}</span>`;
  });
  return `<div class="text">${out}</div>`;
}

function labelBadges(item: ExplainedText): string {
  const p = item.probabilities[item.predicted];
  const verdict = item.trueLabel === undefined ? 'neutral' : item.trueLabel === item.predicted ? 'ok' : 'wrong';
  let s = `<span class="badge ${verdict}">predicted: ${escapeHtml(item.predicted)} (${formatNumber(p, 3)})</span>`;
  if (item.trueLabel !== undefined) {
    s += `<span class="badge neutral">true: ${escapeHtml(item.trueLabel)}</span>`;
    s += `<span class="badge ${verdict}">${verdict === 'ok' ? 'correct' : 'wrong'}</span>`;
  }
  const probs = Object.entries(item.probabilities).map(([k, v]) => `${escapeHtml(k)} ${formatNumber(v, 3)}`).join(' · ');
  return `<div>${s}<span class="meta">${probs}</span></div>`;
}

function renderItem(item: ExplainedText, index: number, o: Required<Omit<AttentionReportOptions, 'title' | 'subtitle'>>): string {
  const texts = [item.text, item.textPair ?? ''];
  const all = o.joinWordPieces ? joinWordPieces(item.tokens, texts) : tokensAsWords(item.tokens);
  const keep = all.map((w) => o.showSpecialTokens || !w.special);
  const words = all.filter((_, i) => keep[i]);
  // Weights are re-normalised over the words shown, so the strongest shown word of each head is full strength.
  const shown = (raw: readonly number[]) => normaliseByMax(wordWeights(all, raw).filter((_, i) => keep[i]));
  const numHeads = item.attention.raw.length;
  const mean = item.attention.raw[0].map((_, t) => item.attention.raw.reduce((s, h) => s + h[t], 0) / numHeads);
  let html = `<div class="card"><h2>Text ${index + 1}</h2>${labelBadges(item)}`;
  html += `<h3>layer ${item.layer + 1} of ${item.numLayers}, all ${numHeads} heads together (mean)</h3>${renderWords(words, shown(mean))}`;
  if (o.showHeads) {
    html += '<div class="heads">';
    item.attention.raw.forEach((head, h) => {
      html += `<div class="card"><h3>head ${h + 1}</h3>${renderWords(words, shown(head))}</div>`;
    });
    html += '</div>';
  }
  return html + '</div>';
}

export function renderAttentionReport(items: readonly ExplainedText[], options: AttentionReportOptions = {}): string {
  const o = {
    joinWordPieces: options.joinWordPieces ?? true,
    showSpecialTokens: options.showSpecialTokens ?? false,
    showHeads: options.showHeads ?? true,
  };
  const title = options.title ?? 'bertnode attention report';
  let body = `<h1>${escapeHtml(title)}</h1>`;
  body += `<div class="meta">${options.subtitle ? escapeHtml(options.subtitle) + '<br>' : ''}`;
  body += 'Attention from the [CLS] token to each word; each panel is scaled to its own strongest word ';
  body += `<span class="legend"></span> (padding excluded${o.joinWordPieces ? ', word pieces joined, weights summed' : ''}`;
  body += `${o.showSpecialTokens ? '' : ', [CLS]/[SEP] hidden'}).</div>`;
  body += items.map((item, i) => renderItem(item, i, o)).join('\n');
  return htmlDocument(title, body);
}
