package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/ops"
)

func newTokenCmd() *cobra.Command {
	var (
		role, subject, team, dataDir string
		ttl                          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token --role R --subject S [--team T] [--data DIR] [--ttl D]",
		Short: "Mint a bearer token signed with the local secret",
		Long: `Print a JWT for trying the API, signed with the same HS256 secret as
` + "`paidan serve`" + `: PAIDAN_JWT_SECRET when set, otherwise the secret generated into
the data directory (created now if it does not exist yet).

Roles: resident, team, coordinator, auditor, analyst, admin. Role team needs --team.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := domain.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			actor := domain.Actor{Subject: strings.TrimSpace(subject), Role: r, TeamID: strings.TrimSpace(team)}
			switch {
			case actor.Subject == "":
				return errors.New("--subject: required, the user id the token is for")
			case r == domain.RoleTeam && actor.TeamID == "":
				return errors.New("--team: required with --role team, the id of the team the member acts for")
			case r != domain.RoleTeam && actor.TeamID != "":
				return fmt.Errorf("--team: only for --role team, found it with --role %s", r)
			}
			if !cmd.Flags().Changed("data") {
				if v, ok := os.LookupEnv(ops.EnvDataDir); ok && v != "" {
					dataDir = v
				}
			}
			if os.Getenv(ops.EnvJWKSURL) != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is set, so the server verifies tokens with the identity provider and will refuse this one\n", ops.EnvJWKSURL)
			}
			secret, err := auth.LoadOrCreateSecret(dataDir, os.Getenv(ops.EnvJWTSecret))
			if err != nil {
				return err
			}
			minter, err := auth.NewHMAC(secret, auth.HMACConfig{})
			if err != nil {
				return err
			}
			tok, err := minter.Mint(actor, ttl)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "role: resident, team, coordinator, auditor, analyst or admin (required)")
	f.StringVar(&subject, "subject", "", "subject (sub): the user id (required)")
	f.StringVar(&team, "team", "", "team id, required with --role team")
	f.StringVar(&dataDir, "data", ops.DefaultConfig().DataDir, "data directory holding the generated secret (env "+ops.EnvDataDir+")")
	f.DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid")
	_ = cmd.MarkFlagRequired("role")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}
