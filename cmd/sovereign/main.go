// Command sovereign is the one binary of a Sovereign consortium: validator
// and observer node, local devnet, wallet, transaction and bench tools.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitCode(err))
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "sovereign",
		Usage: "a permissioned payment-ledger chain for a consortium of member banks",
		Commands: []*cli.Command{
			devnetCommand,
			nodeCommand,
			genesisCommand,
			walletCommand,
			txCommand,
			bankCommand,
			merchantCommand,
			governanceCommand,
			benchCommand,
			rpcCommand,
			explorerCommand,
			indexCommand,
			dbCommand,
			exportCommand,
			importCommand,
			snapshotCommand,
			auditCommand,
			configCommand,
		},
		Flags:                []cli.Flag{logLevelFlag},
		EnableBashCompletion: true,
	}
}

// exitCode lets a command choose its exit status (cli.Exit); anything else
// is 1.
func exitCode(err error) int {
	if ec, ok := err.(cli.ExitCoder); ok {
		return ec.ExitCode()
	}
	return 1
}
