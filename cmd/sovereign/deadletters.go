package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sovereign-ledger/sovereign/node"
	"github.com/urfave/cli/v2"
)

// nodeWebhookCommands are the subcommands of "sovereign node" over its
// webhook dead-letter queue: `sovereign node --datadir D dead-letters` and
// `sovereign node --datadir D --webhooks F replay [ID...|--all]`. They work
// on the data directory's files, so they run beside the node or without it.
func nodeWebhookCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:  "dead-letters",
			Usage: "list the webhook deliveries that failed every attempt (give --datadir before the subcommand)",
			Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
			Action: func(c *cli.Context) error {
				letters, err := node.DeadLetters(c.String("datadir"))
				if err != nil {
					return err
				}
				if c.Bool("json") {
					if letters == nil {
						letters = []node.DeadLetter{}
					}
					return printJSONTo(c, letters)
				}
				for _, d := range letters {
					fmt.Fprintf(c.App.Writer, "%s  %s  %d attempts, last %s: %s\n", d.ID, d.URL, d.Attempts, d.LastAttempt.UTC().Format(time.RFC3339), d.LastError)
				}
				return nil
			},
		},
		{
			Name:      "replay",
			Usage:     "deliver dead letters again (signed afresh) and remove those the endpoint takes (give --datadir and --webhooks before the subcommand)",
			ArgsUsage: "[EVENT_ID...]",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Usage: "replay every dead letter"},
				&cli.BoolFlag{Name: "json", Usage: "print JSON"},
				&cli.DurationFlag{Name: "timeout", Value: time.Minute, Usage: "give up after this long"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() == 0 && !c.Bool("all") {
					return errors.New("name the event ids to replay, or --all")
				}
				if c.NArg() > 0 && c.Bool("all") {
					return errors.New("give event ids or --all, not both")
				}
				path := c.String("webhooks")
				if path == "" {
					return errors.New("--webhooks is required (before the subcommand): the replay signs with their secrets")
				}
				hooks, err := node.LoadWebhooks(path)
				if err != nil {
					return err
				}
				ctx, cancel := context.WithTimeout(context.Background(), c.Duration("timeout"))
				defer cancel()
				res, err := node.ReplayDeadLetters(ctx, c.String("datadir"), hooks, c.Args().Slice())
				if err != nil {
					return err
				}
				failed := 0
				for _, r := range res {
					if !r.OK {
						failed++
					}
				}
				if c.Bool("json") {
					if res == nil {
						res = []node.ReplayResult{}
					}
					if err := printJSONTo(c, res); err != nil {
						return err
					}
				} else {
					for _, r := range res {
						status := "delivered"
						if !r.OK {
							status = "failed: " + r.Error
						}
						fmt.Fprintf(c.App.Writer, "%s  %s  %s\n", r.ID, r.URL, status)
					}
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d deliveries failed; they stay in the queue", failed, len(res))
				}
				return nil
			},
		},
	}
}

func printJSONTo(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
