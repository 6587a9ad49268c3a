package simulator_test

import (
	"context"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/simulator"
)

func TestTestCards(t *testing.T) {
	n := simulator.New()
	declines := map[string]bool{}
	for _, c := range simulator.TestCards {
		if !opaygate.Luhn(c.Number) {
			t.Errorf("%s fails the Luhn check", c.Number)
		}
		card := opaygate.Card{Number: c.Number}
		o := &opaygate.Order{Amount: 60000, CardBIN: card.BIN(), CardLast4: card.Last4()}
		d, _ := n.Authorize(context.Background(), o)
		if d.Approved != (c.Code == "") || d.Code != c.Code || d.Reason != c.Reason {
			t.Errorf("%s: %+v, want code %q reason %q", c.Number, d, c.Code, c.Reason)
		}
		declines[c.Code] = true
	}
	// One card for each decline of the amount-trigger table.
	for _, code := range []string{"05", "13", "51", "54", "57", "62"} {
		if !declines[code] {
			t.Errorf("no test card declines with %s", code)
		}
	}
}

func TestCardTrigger(t *testing.T) {
	for last4, want := range map[string]string{"0051": "51", "0005": "05", "0062": "62"} {
		if d, ok := simulator.CardTrigger(last4); !ok || d.Code != want {
			t.Errorf("%s: %+v %v, want %s", last4, d, ok, want)
		}
	}
	for _, last4 := range []string{"", "1111", "0050", "0100", "051", "00a1", "4444"} {
		if d, ok := simulator.CardTrigger(last4); ok || !d.Approved {
			t.Errorf("%q declines: %+v", last4, d)
		}
	}
}

func TestAmountTriggerBeatsApprovedCard(t *testing.T) {
	d, _ := simulator.New().Authorize(context.Background(), &opaygate.Order{Amount: 57, CardLast4: "1111"})
	if d.Approved || d.Code != "57" {
		t.Fatalf("amount 57 with an approved card: %+v", d)
	}
}
