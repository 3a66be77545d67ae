package camt

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// Write renders items as a camt.054 file of version ("camt.054.001.02" or
// "camt.054.001.08"): one notification, one entry per item, each with one
// transaction detail. It is what a test bank or the devnet walk-through
// sends; a real bank's file carries much more, which Parse ignores.
func Write(w io.Writer, version, msgID string, created time.Time, items []Item) error {
	var ns string
	switch version {
	case "camt.054.001.02":
		ns = NamespaceV02
	case "camt.054.001.08":
		ns = NamespaceV08
	default:
		return fmt.Errorf("camt.054 version %q: want camt.054.001.02 or camt.054.001.08", version)
	}
	b := bufio.NewWriter(w)
	esc := func(s string) string {
		var out []byte
		buf := &sliceWriter{&out}
		_ = xml.EscapeText(buf, []byte(s))
		return string(out)
	}
	fmt.Fprintf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"%s\">\n <BkToCstmrDbtCdtNtfctn>\n", ns)
	fmt.Fprintf(b, "  <GrpHdr><MsgId>%s</MsgId><CreDtTm>%s</CreDtTm></GrpHdr>\n", esc(msgID), created.UTC().Format("2006-01-02T15:04:05"))
	fmt.Fprintf(b, "  <Ntfctn>\n   <Id>%s-1</Id><CreDtTm>%s</CreDtTm>\n   <Acct><Id><Othr><Id>SOVEREIGN</Id></Othr></Id></Acct>\n", esc(msgID), created.UTC().Format("2006-01-02T15:04:05"))
	for _, it := range items {
		status := "<Sts>" + esc(it.Status) + "</Sts>"
		if ns == NamespaceV08 {
			status = "<Sts><Cd>" + esc(it.Status) + "</Cd></Sts>"
		}
		rvsl := ""
		if it.Reversal {
			rvsl = "<RvslInd>true</RvslInd>"
		}
		amt := fmt.Sprintf("<Amt Ccy=\"%s\">%s</Amt>", esc(it.Currency), esc(it.Amount))
		txAmt := "<AmtDtls><TxAmt>" + amt + "</TxAmt></AmtDtls>"
		if ns == NamespaceV08 {
			txAmt = amt + "<CdtDbtInd>" + esc(it.CreditDebit) + "</CdtDbtInd>"
		}
		e2e := it.EndToEndID
		if e2e == "" {
			e2e = "NOTPROVIDED"
		}
		fmt.Fprintf(b, "   <Ntry>%s<CdtDbtInd>%s</CdtDbtInd>%s%s<BkTxCd><Prtry><Cd>SOV</Cd></Prtry></BkTxCd><AcctSvcrRef>%s</AcctSvcrRef>"+
			"<NtryDtls><TxDtls><Refs><AcctSvcrRef>%s</AcctSvcrRef><EndToEndId>%s</EndToEndId></Refs>%s</TxDtls></NtryDtls></Ntry>\n",
			amt, esc(it.CreditDebit), rvsl, status, esc(it.BankRef), esc(it.BankRef), esc(e2e), txAmt)
	}
	fmt.Fprintf(b, "  </Ntfctn>\n </BkToCstmrDbtCdtNtfctn>\n</Document>\n")
	return b.Flush()
}

type sliceWriter struct{ b *[]byte }

func (s *sliceWriter) Write(p []byte) (int, error) { *s.b = append(*s.b, p...); return len(p), nil }
