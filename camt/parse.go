package camt

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Namespaces of the versions read.
const (
	NamespaceV02 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
	NamespaceV08 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
)

// Credit/debit indicators and entry statuses.
const (
	Credit = "CRDT"
	Debit  = "DBIT"

	Booked  = "BOOK"
	Pending = "PDNG"
	Info    = "INFO"
)

// Notification is a parsed camt.054 file: its version and every
// transaction it reports, in file order.
type Notification struct {
	Version   string // "camt.054.001.02" or "camt.054.001.08"
	MessageID string
	Items     []Item
}

// Item is one transaction of an entry (an entry with several transaction
// details gives one item per detail; an entry with none gives one item).
type Item struct {
	Notification int    // index of the notification (Ntfctn) in the file
	Entry        int    // index of the entry (Ntry) in its notification
	Detail       int    // index of the transaction detail (TxDtls) in its entry
	Amount       string // decimal, in Currency's units
	Currency     string
	CreditDebit  string // CRDT | DBIT
	Status       string // BOOK | PDNG | INFO
	Reversal     bool
	BankRef      string // AcctSvcrRef: the transaction's, else the entry's
	EndToEndID   string // as given; "" when absent or "NOTPROVIDED"
}

// Where names the item's place in the file for messages.
func (it Item) Where() string {
	return fmt.Sprintf("notification %d entry %d detail %d", it.Notification+1, it.Entry+1, it.Detail+1)
}

// The XML shapes: local names only, so one set of types reads both
// versions; where they differ (Sts is a code in .02, a Cd element in .08;
// a transaction's amount sits in AmtDtls in .02 and also directly in .08)
// both forms are read.
type document struct {
	XMLName xml.Name `xml:"Document"`
	Body    *struct {
		GrpHdr struct {
			MsgID string `xml:"MsgId"`
		} `xml:"GrpHdr"`
		Ntfctn []struct {
			Ntry []entry `xml:"Ntry"`
		} `xml:"Ntfctn"`
	} `xml:"BkToCstmrDbtCdtNtfctn"`
}

type amount struct {
	Value string `xml:",chardata"`
	Ccy   string `xml:"Ccy,attr"`
}

type status struct {
	Text  string `xml:",chardata"`
	Cd    string `xml:"Cd"`
	Prtry string `xml:"Prtry"`
}

func (s status) code() string {
	for _, v := range []string{s.Cd, s.Prtry, s.Text} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

type entry struct {
	Amt         amount  `xml:"Amt"`
	CdtDbtInd   string  `xml:"CdtDbtInd"`
	RvslInd     *string `xml:"RvslInd"`
	Sts         status  `xml:"Sts"`
	AcctSvcrRef string  `xml:"AcctSvcrRef"`
	NtryDtls    []struct {
		TxDtls []txDetail `xml:"TxDtls"`
	} `xml:"NtryDtls"`
}

type txDetail struct {
	Refs struct {
		AcctSvcrRef string `xml:"AcctSvcrRef"`
		EndToEndID  string `xml:"EndToEndId"`
	} `xml:"Refs"`
	Amt     *amount `xml:"Amt"`
	AmtDtls struct {
		TxAmt struct {
			Amt *amount `xml:"Amt"`
		} `xml:"TxAmt"`
	} `xml:"AmtDtls"`
	CdtDbtInd string `xml:"CdtDbtInd"`
}

var decimalPattern = regexp.MustCompile(`^[0-9]{1,18}(\.[0-9]{1,5})?$`)

// MaxItems bounds one file.
const MaxItems = 1_000_000

// Parse reads a camt.054 file. Anything it cannot read with certainty is an
// error naming where, and nothing of the file is returned then: an import
// submits all of a file or none of it.
func Parse(r io.Reader) (*Notification, error) {
	dec := xml.NewDecoder(r)
	var doc document
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("camt.054: malformed XML at line %d: %s", se.Line, se.Msg)
		}
		return nil, fmt.Errorf("camt.054: %w", err)
	}
	var version string
	switch doc.XMLName.Space {
	case NamespaceV02:
		version = "camt.054.001.02"
	case NamespaceV08:
		version = "camt.054.001.08"
	default:
		return nil, fmt.Errorf("camt.054: document namespace %q: want %s or %s", doc.XMLName.Space, NamespaceV02, NamespaceV08)
	}
	if doc.Body == nil {
		return nil, fmt.Errorf("camt.054: no BkToCstmrDbtCdtNtfctn in the document")
	}
	n := &Notification{Version: version, MessageID: strings.TrimSpace(doc.Body.GrpHdr.MsgID)}
	for ni, nt := range doc.Body.Ntfctn {
		for ei, e := range nt.Ntry {
			items, err := entryItems(ni, ei, e)
			if err != nil {
				return nil, fmt.Errorf("camt.054: %w", err)
			}
			n.Items = append(n.Items, items...)
			if len(n.Items) > MaxItems {
				return nil, fmt.Errorf("camt.054: more than %d transactions in one file", MaxItems)
			}
		}
	}
	return n, nil
}

func entryItems(ni, ei int, e entry) ([]Item, error) {
	base := Item{Notification: ni, Entry: ei, Status: e.Sts.code(), CreditDebit: strings.TrimSpace(e.CdtDbtInd), BankRef: strings.TrimSpace(e.AcctSvcrRef)}
	where := base.Where()[:strings.LastIndex(base.Where(), " detail")]
	switch base.Status {
	case Booked, Pending, Info:
	default:
		return nil, fmt.Errorf("%s: status %q: want BOOK, PDNG or INFO", where, base.Status)
	}
	if base.CreditDebit != Credit && base.CreditDebit != Debit {
		return nil, fmt.Errorf("%s: credit/debit indicator %q: want CRDT or DBIT", where, base.CreditDebit)
	}
	if e.RvslInd != nil {
		switch strings.TrimSpace(*e.RvslInd) {
		case "true", "1":
			base.Reversal = true
		case "false", "0":
		default:
			return nil, fmt.Errorf("%s: reversal indicator %q: want true or false", where, *e.RvslInd)
		}
	}
	var details []txDetail
	for _, d := range e.NtryDtls {
		details = append(details, d.TxDtls...)
	}
	if len(details) == 0 {
		details = []txDetail{{}}
	}
	out := make([]Item, 0, len(details))
	for di, d := range details {
		it := base
		it.Detail = di
		amt := d.Amt
		if amt == nil {
			amt = d.AmtDtls.TxAmt.Amt
		}
		if amt == nil {
			if len(details) > 1 {
				return nil, fmt.Errorf("%s: no amount, and the entry has %d transactions", it.Where(), len(details))
			}
			amt = &e.Amt
		}
		it.Amount, it.Currency = strings.TrimSpace(amt.Value), strings.TrimSpace(amt.Ccy)
		if !decimalPattern.MatchString(it.Amount) {
			return nil, fmt.Errorf("%s: amount %q is not a decimal amount", it.Where(), it.Amount)
		}
		if len(it.Currency) != 3 {
			return nil, fmt.Errorf("%s: currency %q is not a three-letter code", it.Where(), it.Currency)
		}
		if v := strings.TrimSpace(d.CdtDbtInd); v != "" {
			if v != Credit && v != Debit {
				return nil, fmt.Errorf("%s: credit/debit indicator %q: want CRDT or DBIT", it.Where(), v)
			}
			it.CreditDebit = v
		}
		if ref := strings.TrimSpace(d.Refs.AcctSvcrRef); ref != "" {
			it.BankRef = ref
		}
		if id := strings.TrimSpace(d.Refs.EndToEndID); id != "NOTPROVIDED" {
			it.EndToEndID = id
		}
		out = append(out, it)
	}
	return out, nil
}
