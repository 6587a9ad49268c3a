package simulator

import "github.com/opaygate/opaygate"

// TestCard is a sandbox card number with a known outcome. Any expiry date in
// the future and any 3- or 4-digit CVV go with it; a past expiry date fails
// every card with code 54 before the acquirer is asked.
type TestCard struct {
	Number string
	Code   string // "" when approved, else the decline code
	Reason string
}

// TestCards are the documented sandbox cards (docs/PAGES.md): two that are
// approved, then one for each decline of the amount-trigger table. A
// declining card's last four digits are 00 and the code ("…0051" → 51), and
// every Luhn-valid number that ends so declines the same way. The amount
// triggers still apply first: 4111 1111 1111 1111 paying 51 minor units is
// declined with 51.
var TestCards = []TestCard{
	{Number: "4111111111111111"},
	{Number: "5555555555554444"},
	{Number: "4000000000800005", Code: "05", Reason: "Do not honour"},
	{Number: "4000000000800013", Code: "13", Reason: "Invalid Amount"},
	{Number: "4000000000000051", Code: "51", Reason: "Insufficient funds"},
	{Number: "4000000000800054", Code: "54", Reason: "Expired card"},
	{Number: "4000000000200057", Code: "57", Reason: "Transaction not permitted to cardholder"},
	{Number: "4000000000800062", Code: "62", Reason: "Restricted card"},
}

// CardTrigger returns the decline a card's last four digits trigger: "00"
// followed by a code of the amount-trigger table.
func CardTrigger(last4 string) (opaygate.Decision, bool) {
	if len(last4) != 4 || last4[:2] != "00" || last4[2] < '0' || last4[2] > '9' || last4[3] < '0' || last4[3] > '9' {
		return opaygate.Decision{Approved: true}, false
	}
	return Trigger(int64(last4[2]-'0')*10 + int64(last4[3]-'0'))
}
