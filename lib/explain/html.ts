// Small helpers shared by the HTML reports: escaping and the one stylesheet, inlined so a report is a single file
// that opens anywhere without a network.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : Number(x.toFixed(digits)).toString();
}

const STYLE = `
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; } h3 { font-size: 14px; margin: 0 0 6px; color: #57606a; }
  .meta { color: #57606a; font-size: 13px; } .card > h2 { margin-top: 0; }
  .card { border: 1px solid #d0d7de; border-radius: 8px; padding: 14px 16px; margin: 16px 0; }
  .badge { display: inline-block; border-radius: 12px; padding: 1px 10px; font-size: 13px; font-weight: 600; margin-right: 6px; }
  .ok { background: #dafbe1; color: #116329; } .wrong { background: #ffebe9; color: #a40e26; } .neutral { background: #eaeef2; color: #24292f; }
  .text { line-height: 2.0; } .text span.w { border-radius: 3px; padding: 1px 1px; }
  .text span.special { color: #8c959f; font-size: 12px; }
  .sep { color: #8c959f; margin: 0 6px; }
  .heads { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 10px; }
  .heads .card { margin: 0; padding: 8px 10px; font-size: 12px; } .heads .text { line-height: 1.7; }
  table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; }
  th { background: #f6f8fa; } .charts { display: flex; flex-wrap: wrap; gap: 16px; }
  .legend { display: inline-block; width: 160px; height: 10px; vertical-align: middle; border: 1px solid #d0d7de;
            background: linear-gradient(to right, rgba(230,80,20,0), rgba(230,80,20,0.85)); }
`;

export function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
