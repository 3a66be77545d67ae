package main

import "github.com/sovereign-ledger/sovereign/wallet/walletcmd"

// txCommand is "sovereign tx": status and send, by hash or raw bytes.
var txCommand = walletcmd.NewTxCommand()
