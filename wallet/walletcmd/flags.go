// Package walletcmd holds the sovereign binary's "wallet" and "tx" command
// groups (urfave/cli/v2). Each command parses its flags and calls the wallet
// package; a Go program does the same things by calling wallet directly.
// cmd/sovereign registers NewWalletCommand() and NewTxCommand(); the commands
// live here so that they are tested without building the whole node.
//
// Every flag can also be set from an environment variable (SOV_RPC,
// SOV_KEYSTORE, SOV_PASSWORD_FILE, ...). Output goes to the app's Writer;
// --json prints one JSON object with snake_case names. A transaction refused
// by the chain exits with status ExitRejected after printing its code.
package walletcmd

import (
	"time"

	"github.com/urfave/cli/v2"
)

// ExitRejected is the exit status when the chain refused a transaction
// (at admission or in a block); other failures exit 1.
const ExitRejected = 3

// DefaultRPC is where the node serves JSON-RPC by default.
const DefaultRPC = "http://127.0.0.1:8545"

const (
	catNode = "NODE"
	catKeys = "KEYS"
	catTx   = "TRANSACTION"
	catOut  = "OUTPUT"
)

// Flags are built fresh for each command because urfave/cli records state in
// them while parsing.

func rpcFlag() cli.Flag {
	return &cli.StringFlag{Name: "rpc", Value: DefaultRPC, Category: catNode, EnvVars: []string{"SOV_RPC"},
		Usage: "node JSON-RPC endpoint (http://, https://, ws:// or wss://)"}
}

func rpcTokenFlag() cli.Flag {
	return &cli.StringFlag{Name: "rpc.token", Category: catNode, EnvVars: []string{"SOV_RPC_TOKEN"},
		Usage: "bearer token for a node with RPC access control (sovereign rpc token mints one)"}
}

func keystoreFlag() cli.Flag {
	return &cli.StringFlag{Name: "keystore", Category: catKeys, EnvVars: []string{"SOV_KEYSTORE"},
		Usage: "directory of keystore v3 key files"}
}

func passwordFileFlag() cli.Flag {
	return &cli.StringFlag{Name: "password-file", Category: catKeys, EnvVars: []string{"SOV_PASSWORD_FILE"},
		Usage: "file whose first line is the key's password"}
}

func lightKDFFlag() cli.Flag {
	return &cli.BoolFlag{Name: "lightkdf", Category: catKeys, EnvVars: []string{"SOV_LIGHTKDF"},
		Usage: "encrypt new keys with light scrypt (fast, weak: development only)"}
}

func fromFlag() cli.Flag {
	return &cli.StringFlag{Name: "from", Category: catTx, EnvVars: []string{"SOV_FROM"},
		Usage: "sender address (its key must be in --keystore)"}
}

func toFlag() cli.Flag {
	return &cli.StringFlag{Name: "to", Category: catTx, EnvVars: []string{"SOV_TO"}, Usage: "recipient address"}
}

func assetFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "asset", Category: catTx, EnvVars: []string{"SOV_ASSET"}, Usage: usage}
}

func amountFlag() cli.Flag {
	return &cli.StringFlag{Name: "amount", Category: catTx, EnvVars: []string{"SOV_AMOUNT"},
		Usage: "amount in the asset's units, e.g. 12.34"}
}

func waitFlag() cli.Flag {
	return &cli.BoolFlag{Name: "wait", Category: catTx, EnvVars: []string{"SOV_WAIT"},
		Usage: "wait until the transaction is final or rejected"}
}

func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Category: catNode, EnvVars: []string{"SOV_TIMEOUT"},
		Usage: "give up waiting after this long"}
}

func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Category: catOut, EnvVars: []string{"SOV_JSON"},
		Usage: "print one JSON object (snake_case fields) instead of text"}
}

func genesisFlag() cli.Flag {
	return &cli.StringFlag{Name: "genesis", Category: catNode, EnvVars: []string{"SOV_GENESIS"},
		Usage: "genesis file whose validators must certify the proof's header (default: ask the node)"}
}
