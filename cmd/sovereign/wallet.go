package main

import "github.com/sovereign-ledger/sovereign/wallet/walletcmd"

// walletCommand is "sovereign wallet": new, import, list, balance, transfer,
// proof. The commands live in wallet/walletcmd (tested there against an
// in-memory node) and are thin wrappers over the wallet package.
var walletCommand = walletcmd.NewWalletCommand()

// bankCommand is "sovereign bank": register-account, mint, burn.
var bankCommand = walletcmd.NewBankCommand()

// governanceCommand is "sovereign governance": validator-set and member-bank
// changes by quorum.
var governanceCommand = walletcmd.NewGovernanceCommand()

// merchantCommand is "sovereign merchant": payment requests.
var merchantCommand = walletcmd.NewMerchantCommand()
