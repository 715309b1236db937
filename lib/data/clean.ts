// The classic IMDb cleaning: the reviews carry HTML line breaks ("<br /><br />") that are not words.
// Each break becomes one space, so the words on either side stay apart.
const HTML_BREAK = /<br\s*\/?>/gi;

export function cleanReviewText(text: string): string {
  return text.replace(HTML_BREAK, ' ');
}
