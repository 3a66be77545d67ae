package rpc

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Numeric JSON-RPC error codes. They never change once released; the string
// in the error's data "code" member says more precisely what happened.
const (
	CodeRejected      = -32000 // the transaction was refused; data.code is the chain rejection code
	CodeNotFound      = -32001 // transaction, block or account not found
	CodeTimeout       = -32002 // a wait ran out of time
	CodeInvalidParams = -32602 // a parameter is malformed (bad address, unknown asset, ...)
	CodeInternal      = -32603 // the node failed; nothing the caller did wrong
	CodeTooLarge      = -32006 // request body over the size limit (HTTP 413)
)

// String codes for errors that are not ledger rejections.
const (
	ErrCodeTxNotFound      = "tx_not_found"
	ErrCodeBlockNotFound   = "block_not_found"
	ErrCodeAccountNotFound = "account_not_found"
	ErrCodeInvalidParams   = "invalid_params"
	ErrCodeInternal        = "internal"
	ErrCodeTooLarge        = "request_too_large"
	ErrCodeInvalidRequest  = "invalid_request"
	// ErrCodeBeforeSnapshot: the block is below the height this node's
	// history starts at (it joined from a snapshot); a node that keeps the
	// full history has it.
	ErrCodeBeforeSnapshot = "before_snapshot"
)

// Error is a JSON-RPC error with a numeric code and a data object carrying a
// string code (and, for transactions, the hash). It implements
// go-ethereum's rpc.Error and rpc.DataError, so the server encodes it as is.
type Error struct {
	Num  int
	Msg  string
	Data ErrorData
}

// ErrorData is the "data" member of every error this service returns.
type ErrorData struct {
	Code string       `json:"code"`
	Hash *common.Hash `json:"hash,omitempty"`
}

func (e *Error) Error() string          { return e.Msg }
func (e *Error) ErrorCode() int         { return e.Num }
func (e *Error) ErrorData() interface{} { return e.Data }

func newError(num int, code, format string, args ...any) *Error {
	return &Error{Num: num, Msg: fmt.Sprintf(format, args...), Data: ErrorData{Code: code}}
}

func invalidParams(format string, args ...any) *Error {
	return newError(CodeInvalidParams, ErrCodeInvalidParams, format, args...)
}

func internalError(what string, err error) *Error {
	return newError(CodeInternal, ErrCodeInternal, "%s: %v", what, err)
}

// rejectionError turns a SubmitTx or DecodeTx failure into an RPC error:
// chain rejections keep their code, anything else is internal.
func rejectionError(err error, hash *common.Hash) *Error {
	var re *chain.RejectError
	if !errors.As(err, &re) {
		e := internalError("submit transaction", err)
		e.Data.Hash = hash
		return e
	}
	return &Error{Num: CodeRejected, Msg: "transaction rejected: " + err.Error(), Data: ErrorData{Code: re.Code, Hash: hash}}
}
