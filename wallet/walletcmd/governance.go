package walletcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// NewGovernanceCommand is "sovereign governance": propose, vote, list,
// show and validators (docs/adr/0060-governance.md).
func NewGovernanceCommand() *cli.Command {
	return &cli.Command{
		Name:  "governance",
		Usage: "change the validator set and the member banks by quorum: propose, vote, follow",
		Subcommands: []*cli.Command{
			{
				Name: "propose",
				Usage: "propose one change from validator --from; prints the proposal id (your own approval counts). " +
					"Exactly one of --add-validator, --remove-validator, --set-power, --rotate-key, --add-bank, --remove-bank",
				Flags: signerFlags(
					&cli.StringFlag{Name: "add-validator", Category: catTx, Usage: "add a validator: its address, or its keystore file (the address is read from it)"},
					&cli.Uint64Flag{Name: "power", Category: catTx, Usage: "with --add-validator: its voting power"},
					&cli.StringFlag{Name: "remove-validator", Category: catTx, Usage: "remove the validator at ADDR"},
					&cli.StringFlag{Name: "set-power", Category: catTx, Usage: "ADDR=N: set a validator's voting power"},
					&cli.StringFlag{Name: "rotate-key", Category: catTx, Usage: "ADDR=NEWADDR: move a validator's power to a new key"},
					&cli.StringFlag{Name: "hash-chain-file", Category: catTx, Usage: "with --add-validator or --rotate-key: the new key's hash-chain secret file; only its tip is sent"},
					&cli.StringFlag{Name: "reveal-tip", Category: catTx, Usage: "instead of --hash-chain-file: the new key's hash-chain tip (0x, 64 hex digits)"},
					&cli.Uint64Flag{Name: "reveal-length", Value: chain.DefaultHashChainLength, Category: catTx, Usage: "reveals in the new key's hash chain"},
					&cli.StringFlag{Name: "add-bank", Category: catTx, Usage: "add the member bank at ADDR (with --bank-name)"},
					&cli.StringFlag{Name: "bank-name", Category: catTx, Usage: "with --add-bank: the bank's name"},
					&cli.StringFlag{Name: "bank-pubkey", Category: catTx, Usage: "with --add-bank: its uncompressed public key (0x04…), for payout details (optional)"},
					&cli.StringFlag{Name: "remove-bank", Category: catTx, Usage: "remove the member bank at ADDR"},
					&cli.DurationFlag{Name: "deadline", Value: wallet.DefaultProposalWindow, Category: catTx, Usage: "how long, in block time, the proposal stays open for votes"}),
				Action: governancePropose,
			},
			{
				Name:   "vote",
				Usage:  "approve --proposal from validator --from (with --wait, until the vote is final)",
				Flags:  signerFlags(&cli.StringFlag{Name: "proposal", Category: catTx, Usage: "the proposal id"}),
				Action: governanceVote,
			},
			{
				Name:   "list",
				Usage:  "list proposals, newest first",
				Flags:  []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag(), &cli.StringFlag{Name: "status", Category: catOut, Usage: "only open, approved, applied or expired ones"}},
				Action: governanceList,
			},
			{
				Name:      "show",
				Usage:     "print one proposal",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag()},
				Action:    governanceShow,
			},
			{
				Name:   "validators",
				Usage:  "print the validator set in force at --height (default: the final height)",
				Flags:  []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag(), &cli.Uint64Flag{Name: "height", Category: catOut, Usage: "the height"}},
				Action: governanceValidators,
			},
		},
	}
}

// proposedChange builds the one change the propose flags name.
func proposedChange(c *cli.Context) (chain.Change, error) {
	var chosen []string
	for _, f := range []string{"add-validator", "remove-validator", "set-power", "rotate-key", "add-bank", "remove-bank"} {
		if c.String(f) != "" {
			chosen = append(chosen, "--"+f)
		}
	}
	if len(chosen) != 1 {
		return chain.Change{}, fmt.Errorf("give exactly one change (--add-validator, --remove-validator, --set-power, --rotate-key, --add-bank or --remove-bank), got %d: %s", len(chosen), strings.Join(chosen, " "))
	}
	switch chosen[0] {
	case "--add-validator":
		a, err := addressOrKeyFile(c.String("add-validator"))
		if err != nil {
			return chain.Change{}, err
		}
		if c.Uint64("power") == 0 {
			return chain.Change{}, errors.New("--power is required with --add-validator and must be positive")
		}
		tip, err := revealTip(c)
		if err != nil {
			return chain.Change{}, err
		}
		return chain.Change{Kind: chain.ChangeAddValidator, Address: a, Power: c.Uint64("power"), RevealTip: tip, RevealLength: c.Uint64("reveal-length")}, nil
	case "--remove-validator":
		a, err := parseAddress("--remove-validator", c.String("remove-validator"))
		return chain.Change{Kind: chain.ChangeRemoveValidator, Address: a}, err
	case "--set-power":
		addr, n, ok := strings.Cut(c.String("set-power"), "=")
		a, err := parseAddress("--set-power", addr)
		if err != nil || !ok {
			return chain.Change{}, fmt.Errorf("--set-power %q: want ADDR=N", c.String("set-power"))
		}
		power, err := strconv.ParseUint(strings.TrimSpace(n), 10, 64)
		if err != nil || power == 0 {
			return chain.Change{}, fmt.Errorf("--set-power %q: N must be a positive integer", c.String("set-power"))
		}
		return chain.Change{Kind: chain.ChangeSetPower, Address: a, Power: power}, nil
	case "--rotate-key":
		oldS, newS, ok := strings.Cut(c.String("rotate-key"), "=")
		if !ok {
			return chain.Change{}, fmt.Errorf("--rotate-key %q: want ADDR=NEWADDR", c.String("rotate-key"))
		}
		old, err := parseAddress("--rotate-key", oldS)
		if err != nil {
			return chain.Change{}, err
		}
		next, err := addressOrKeyFile(newS)
		if err != nil {
			return chain.Change{}, err
		}
		tip, err := revealTip(c)
		if err != nil {
			return chain.Change{}, err
		}
		return chain.Change{Kind: chain.ChangeRotateKey, Address: old, NewAddress: next, RevealTip: tip, RevealLength: c.Uint64("reveal-length")}, nil
	case "--add-bank":
		a, err := parseAddress("--add-bank", c.String("add-bank"))
		if err != nil {
			return chain.Change{}, err
		}
		ch := chain.Change{Kind: chain.ChangeAddBank, Address: a, Name: c.String("bank-name")}
		if ch.Name == "" {
			return chain.Change{}, errors.New("--bank-name is required with --add-bank")
		}
		if s := c.String("bank-pubkey"); s != "" {
			if ch.PubKey, err = decodeHex(s); err != nil {
				return chain.Change{}, fmt.Errorf("--bank-pubkey: %w", err)
			}
		}
		return ch, nil
	default:
		a, err := parseAddress("--remove-bank", c.String("remove-bank"))
		return chain.Change{Kind: chain.ChangeRemoveBank, Address: a}, err
	}
}

// addressOrKeyFile is an address, or the address inside a keystore file.
func addressOrKeyFile(s string) (common.Address, error) {
	if common.IsHexAddress(strings.TrimSpace(s)) {
		return common.HexToAddress(strings.TrimSpace(s)), nil
	}
	raw, err := os.ReadFile(s)
	if err != nil {
		return common.Address{}, fmt.Errorf("%q is neither an address nor a readable key file: %w", s, err)
	}
	var kf struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(raw, &kf); err != nil || !common.IsHexAddress(kf.Address) {
		return common.Address{}, fmt.Errorf("key file %s: no address in it (want a keystore v3 file)", s)
	}
	return common.HexToAddress(kf.Address), nil
}

// revealTip is --reveal-tip, or the tip of the chain --hash-chain-file's
// secret derives (computed here; the secret is not sent).
func revealTip(c *cli.Context) (common.Hash, error) {
	switch tip, file := c.String("reveal-tip"), c.String("hash-chain-file"); {
	case tip != "" && file != "":
		return common.Hash{}, errors.New("give --reveal-tip or --hash-chain-file, not both")
	case tip != "":
		b, err := decodeHex(tip)
		if err != nil || len(b) != common.HashLength {
			return common.Hash{}, fmt.Errorf("bad --reveal-tip %q: want 0x followed by 64 hex digits", tip)
		}
		return common.BytesToHash(b), nil
	case file != "":
		raw, err := os.ReadFile(file)
		if err != nil {
			return common.Hash{}, fmt.Errorf("--hash-chain-file: %w", err)
		}
		b, err := decodeHex(strings.TrimSpace(string(raw)))
		if err != nil || len(b) != common.HashLength {
			return common.Hash{}, fmt.Errorf("--hash-chain-file %s: want one 32-byte hex secret", file)
		}
		return chain.NewHashChain(common.BytesToHash(b), c.Uint64("reveal-length")).Tip(), nil
	}
	return common.Hash{}, errors.New("the new key's hash chain is required: --hash-chain-file FILE or --reveal-tip HEX")
}

func governancePropose(c *cli.Context) error {
	change, err := proposedChange(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.Propose(ctx, s.key, change, c.Duration("deadline"))
	})
}

var governanceVote = submitOn("proposal", func(ctx context.Context, _ *cli.Context, s *sender, id common.Hash) (*chain.Tx, error) {
	return s.client.Vote(ctx, s.key, id)
})

func governanceList(c *cli.Context) error {
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	ps, err := client.Proposals(ctx, rpc.ProposalQuery{Status: c.String("status")})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, ps)
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tCHANGE\tADDRESS\tSTATUS\tAPPROVING/TOTAL POWER\tEFFECTIVE AT")
	for _, p := range ps {
		eff := "-"
		if p.EffectiveAt > 0 {
			eff = strconv.FormatUint(p.EffectiveAt, 10)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d/%d\t%s\n", p.ID.Hex(), p.Kind, p.Address.Hex(), p.Status, p.ApprovingPower, p.TotalPower, eff)
	}
	return w.Flush()
}

func governanceShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want exactly one proposal ID argument, got %d", c.NArg())
	}
	id, err := parseHash("proposal id", c.Args().First())
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	p, err := client.Proposal(ctx, id)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, p)
	}
	printf(c, "id %s\nchange %s %s\nstatus %s\napproving power %d of %d (%d approvals)\nopened at %d, deadline %d\n",
		p.ID.Hex(), p.Kind, p.Address.Hex(), p.Status, p.ApprovingPower, p.TotalPower, len(p.Approvals), p.Height, p.Deadline)
	if p.EffectiveAt > 0 {
		printf(c, "approved at %d, effective at %d\n", p.ApprovedAt, p.EffectiveAt)
	}
	return nil
}

func governanceValidators(c *cli.Context) error {
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	var height *uint64
	if c.IsSet("height") {
		h := c.Uint64("height")
		height = &h
	}
	vs, err := client.Validators(ctx, height)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, vs)
	}
	printf(c, "height %d: %d validators, total power %d, hash %s\n", vs.Height, len(vs.Validators), vs.TotalPower, vs.Hash.Hex())
	for _, v := range vs.Validators {
		printf(c, "%s %d %s\n", v.Address.Hex(), v.Power, v.Name)
	}
	return nil
}
