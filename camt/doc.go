// Package camt reads ISO 20022 camt.054 bank-to-customer debit/credit
// notifications (versions camt.054.001.02 and camt.054.001.08): the entries
// a bank booked or reserved, with the end-to-end reference each payment
// instruction carried. It only parses; mapping entries to ledger feedback is
// the wallet's (wallet/camt054.go). See docs/adr/0043-camt054-import.md for
// why this is encoding/xml over the few fields needed rather than a
// generated library.
package camt
