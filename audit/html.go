package audit

import (
	"html/template"
	"io"
	"time"
)

// WriteHTML writes the report as one self-contained page (no scripts, no
// external resources) that prints well.
func (r *Report) WriteHTML(w io.Writer) error { return reportPage.Execute(w, r) }

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Sovereign audit: {{.Chain.ChainID}} to height {{.Chain.Height}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;word-break:break-all}
.verdict{font-size:1.2em;font-weight:bold;padding:.6em 1em;border-radius:4px;margin:1em 0}
.pass{background:#e4f5e4;color:#135d13}.fail{background:#fbe3e3;color:#8a1414}
.bad{color:#8a1414;font-weight:bold}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
</style></head><body>
<h1>Audit of chain <code>{{.Chain.ChainID}}</code></h1>
<div>{{.Source}} · audited {{when .StartedAt}} in {{printf "%.1f" .Seconds}} s ({{printf "%.0f" .TxPerSec}} transactions/s)</div>
{{if .Passed}}<div class="verdict pass">PASSED: every block, certificate, signature, state root and invariant verified from genesis.</div>
{{else}}<div class="verdict fail">FAILED: {{len .Findings}} finding(s). {{with .First}}First: {{.Rule}} at height {{.Height}}{{if .Tx}}, transaction {{.Tx.Hex}}{{end}}: {{.Reason}}{{end}}</div>{{end}}

<h2>Chain</h2>
<table>
<tr><th>chain id</th><td><code>{{.Chain.ChainID}}</code></td></tr>
<tr><th>genesis block</th><td><code>{{.Chain.GenesisHash.Hex}}</code> ({{when .Chain.GenesisTime}})</td></tr>
<tr><th>genesis document hash</th><td><code>{{.Chain.GenesisDoc.Hex}}</code></td></tr>
<tr><th>verified to height</th><td>{{.Chain.Height}} ({{when .Chain.HeadTime}})</td></tr>
<tr><th>head block</th><td><code>{{.Chain.HeadHash.Hex}}</code></td></tr>
<tr><th>state root</th><td><code>{{.Chain.StateRoot.Hex}}</code></td></tr>
<tr><th>blocks, transactions</th><td>{{.Chain.Blocks}} blocks, {{.Chain.Txs}} transactions ({{.Chain.Rejected}} rejected into receipts with a code)</td></tr>
</table>

<h2>Checks</h2>
<table><tr><th>rule</th><th>what is verified</th><th>checked</th><th>failed</th></tr>
{{range .Checks}}<tr><td><code>{{.Rule}}</code></td><td>{{.Description}}</td><td class="n">{{.Checked}}</td><td class="n{{if .Failed}} bad{{end}}">{{.Failed}}</td></tr>
{{end}}</table>

<h2>Findings</h2>
{{if .Findings}}<table><tr><th>rule</th><th>height</th><th>transaction</th><th>reason</th></tr>
{{range .Findings}}<tr><td><code>{{.Rule}}</code></td><td class="n">{{.Height}}</td><td>{{if .Tx}}<code>{{.Tx.Hex}}</code>{{end}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{if .Stopped}}<p>{{.Stopped}}.</p>{{end}}{{else}}<p>None.</p>{{end}}

<h2>Validators: participation and key holders</h2>
<table><tr><th>validator</th><th>address</th><th>power</th><th>held the key (round 0)</th><th>produced</th><th>missed turns</th><th>certificates signed</th></tr>
{{range .Validators}}<tr><td>{{.Name}}</td><td><code>{{.Address.Hex}}</code></td><td class="n">{{.Power}}</td><td class="n">{{.HolderTurns}}</td><td class="n">{{.Proposed}}</td><td class="n">{{.Missed}}</td><td class="n">{{.Signed}}</td></tr>
{{end}}</table>
<p>Key-holder rotation over the last {{len .KeyPath}} heights (height/round: producer):</p>
<table><tr><th>height</th><th>round</th><th>producer</th></tr>
{{range .KeyPath}}<tr><td class="n">{{.Height}}</td><td class="n">{{.Round}}</td><td><code>{{.Proposer.Hex}}</code></td></tr>
{{end}}</table>

<h2>Member banks: reconciliation over the whole history</h2>
<table><tr><th>bank</th><th>address</th><th>matched</th><th>waiting</th><th>overdue</th><th>mismatched</th></tr>
{{range .Banks}}<tr><td>{{.Name}}</td><td><code>{{.Bank.Hex}}</code></td><td class="n">{{.Matched}}</td><td class="n">{{.Waiting}}</td><td class="n{{if .Overdue}} bad{{end}}">{{.Overdue}}</td><td class="n{{if .Mismatched}} bad{{end}}">{{.Mismatched}}</td></tr>
{{end}}</table>

<h2>Supply</h2>
<table><tr><th>asset</th><th>minted</th><th>burned</th><th>outstanding (available + held + locked)</th></tr>
{{range .Supply}}<tr><td>{{.Asset}}</td><td class="n">{{.Minted}}</td><td class="n">{{.Burned}}</td><td class="n">{{.Outstanding}}</td></tr>
{{end}}</table>
<p>Amounts in each asset's minor units.</p>

<h2>Evidence of equivocation on chain</h2>
{{if .Evidence}}<table><tr><th>height</th><th>validator</th><th>offence</th><th>transaction</th></tr>
{{range .Evidence}}<tr><td class="n">{{.Height}}</td><td><code>{{.Validator.Hex}}</code></td><td>vote type {{.VoteType}} at height {{.At}} round {{.Round}}</td><td><code>{{.Tx.Hex}}</code></td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>What this report does not prove</h2>
<p>That the genesis given to the auditor is the consortium's: compare its hash above with the one the members signed off.
That the chain is the latest: it verifies the blocks it was given, to the height above. See docs/AUDIT.md.</p>
</body></html>
`))
