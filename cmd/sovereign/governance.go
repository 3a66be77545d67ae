package main

import (
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/urfave/cli/v2"
)

// autoVoteEvidenceFlag is the node's governance setting (config key
// governance.auto-vote-evidence).
var autoVoteEvidenceFlag = &cli.BoolFlag{
	Name: "governance.auto-vote-evidence", Value: true, EnvVars: []string{"SOV_GOVERNANCE_AUTO_VOTE_EVIDENCE"},
	Usage: "a validator votes, by itself, for the removal proposal that equivocation evidence opens against another validator",
}

func init() { nodeCommand.Flags = append(nodeCommand.Flags, autoVoteEvidenceFlag) }

// governanceConfig fills the node config's governance settings.
func governanceConfig(c *cli.Context, cfg *node.Config) {
	cfg.NoAutoVoteEvidence = !c.Bool(autoVoteEvidenceFlag.Name)
}
