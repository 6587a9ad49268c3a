package opaygate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// A card token (METHODS.md §9) stands for a card the merchant's customer paid with, so that
// the next payment needs no card number: token/create makes one, payment/create BankCard pays
// with it (bankcard.opayToken). The gateway keeps only what identifies the card to a person
// — the first six and last four digits, the brand, the expiry and the name — never the number
// beyond those, nor the CVV.
type CardToken struct {
	MerchantID string
	Token      string // OPAY_TOKEN_ and 32 lowercase hex
	Reference  string // the merchant's, unique among its token creations
	Customer   TokenCustomer

	HolderName  string
	Brand       string // CardBrand of the BIN
	FirstSix    string
	LastFour    string
	ExpiryMonth int // 1–12
	ExpiryYear  int // four digits

	CreatedAt time.Time
	DeletedAt time.Time // zero while the token may be used
}

// TokenCustomer is the merchant's customer a token belongs to.
type TokenCustomer struct {
	ID, Name, Email, Mobile string
}

// Card is the token as a card to pay with: no number, the kept digits and expiry, and the CVV
// the payment may carry.
func (t *CardToken) Card(cvv string) Card {
	return Card{HolderName: t.HolderName, Token: t.Token, FirstSix: t.FirstSix, LastFour: t.LastFour,
		ExpiryMonth: t.ExpiryMonth, ExpiryYear: t.ExpiryYear, CVV: cvv}
}

// TokenService keeps card tokens. Every call is scoped to the merchant: another merchant's
// token is ENOTFOUND, like a deleted or unknown one.
type TokenService interface {
	// CreateToken stores a new token; a reference the merchant used before is EDUPLICATE.
	CreateToken(ctx context.Context, t *CardToken) error
	// FindToken returns a token that may be used.
	FindToken(ctx context.Context, merchantID, token string) (*CardToken, error)
	// CustomerTokens lists a customer's tokens that may be used, newest first.
	CustomerTokens(ctx context.Context, merchantID, customerID string) ([]*CardToken, error)
	// DeleteToken marks a token deleted (it stays stored for audit); a second delete is
	// ENOTFOUND.
	DeleteToken(ctx context.Context, merchantID, token string) error
}

// NewCardToken returns a random token value.
func NewCardToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "OPAY_TOKEN_" + hex.EncodeToString(b[:])
}

// ValidCardToken reports whether s has a token's shape, so junk never reaches storage.
func ValidCardToken(s string) bool {
	h, ok := strings.CutPrefix(s, "OPAY_TOKEN_")
	if !ok || len(h) != 32 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// CardBrand names a card's scheme by its BIN (METHODS.md §9.1).
func CardBrand(bin string) string {
	prefix := func(n int) int {
		if len(bin) < n {
			return -1
		}
		v, err := strconv.Atoi(bin[:n])
		if err != nil {
			return -1
		}
		return v
	}
	switch p2, p4, p6 := prefix(2), prefix(4), prefix(6); {
	case strings.HasPrefix(bin, "4"):
		return "VISA"
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return "MASTERCARD"
	case p6 >= 506099 && p6 <= 506198, p6 >= 650002 && p6 <= 650027:
		return "VERVE"
	case p6 >= 507803 && p6 <= 507808:
		return "MEEZA"
	}
	return "UNKNOWN"
}
