package domain_test

import (
	"errors"
	"testing"

	"github.com/paidan/paidan/domain"
)

func TestCorruptHistories(t *testing.T) {
	otherOrder := accepted(offer1, "team-a", "vol-a")
	otherOrder.OrderID = offer2
	cases := []struct {
		name    string
		rebuild func() error
		err     error
	}{
		{"empty order stream", func() error { _, err := domain.RehydrateOrder(nil); return err }, domain.ErrOrderNotFound},
		{"order stream not starting with OrderPlaced", func() error {
			_, err := domain.RehydrateOrder([]domain.Event{offered(offer1, "team-a", 1, true)})
			return err
		}, domain.ErrCorruptHistory},
		{"acceptance without an offer", func() error {
			_, err := domain.RehydrateOrder([]domain.Event{placed(), accepted(offer1, "team-a", "vol-a")})
			return err
		}, domain.ErrCorruptHistory},
		{"acceptance of another offer", func() error {
			_, err := domain.RehydrateOrder([]domain.Event{placed(), offered(offer1, "team-a", 1, true), accepted(offer2, "team-a", "v")})
			return err
		}, domain.ErrCorruptHistory},
		{"an event of another order", func() error {
			_, err := domain.RehydrateOrder([]domain.Event{placed(), offered(offer1, "team-a", 1, true), otherOrder})
			return err
		}, domain.ErrCorruptHistory},
		{"a rating before completion", func() error {
			_, err := domain.RehydrateOrder([]domain.Event{placed(), domain.OrderRated{OrderID: orderID, Stars: 5}})
			return err
		}, domain.ErrCorruptHistory},
		{"a second OrderPlaced", func() error { _, err := domain.RehydrateOrder([]domain.Event{placed(), placed()}); return err }, domain.ErrCorruptHistory},
		{"a team event in an order stream", func() error {
			_, err := domain.RehydrateOrder([]domain.Event{placed(), domain.TeamResumed{TeamID: "x"}})
			return err
		}, domain.ErrCorruptHistory},
		{"empty team stream", func() error { _, err := domain.RehydrateTeam(nil); return err }, domain.ErrTeamNotFound},
		{"team stream not starting with TeamRegistered", func() error {
			_, err := domain.RehydrateTeam([]domain.Event{domain.TeamResumed{TeamID: "team-a"}})
			return err
		}, domain.ErrCorruptHistory},
		{"team resumed while active", func() error {
			_, err := domain.RehydrateTeam([]domain.Event{registered(), domain.TeamResumed{TeamID: "team-a"}})
			return err
		}, domain.ErrCorruptHistory},
		{"order event in a team stream", func() error {
			_, err := domain.RehydrateTeam([]domain.Event{registered(), placed()})
			return err
		}, domain.ErrCorruptHistory},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.rebuild(); !errors.Is(err, tc.err) {
				t.Errorf("expected %v, found %v", tc.err, err)
			}
		})
	}
}
