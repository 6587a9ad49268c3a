package simulator

import (
	"strings"
	"time"

	"github.com/opaygate/opaygate"
)

// The sandbox's payout results (METHODS.md §10.2), by the payee's account number or phone.
const (
	PayoutIncorrectAccount = "1005" // an account or phone ending so fails 01005
	PayoutInsufficientFund = "1010" // an account or phone ending so fails 01010
)

// PayoutDelay is how long after its creation the network answers a payout.
func (n *Network) PayoutDelay() time.Duration { return n.payoutDelay }

// Pay answers a payout: an account or phone ending 1005 is "Incorrect Account Number" (01005),
// one ending 1010 "Insufficient Fund" (01010); every other payout succeeds.
func (n *Network) Pay(p *opaygate.Payout) opaygate.PayoutResult {
	switch account := p.Payee.Account(); {
	case strings.HasSuffix(account, PayoutIncorrectAccount):
		return opaygate.PayoutResult{ErrorCode: "01005", ErrorMsg: "Incorrect Account Number"}
	case strings.HasSuffix(account, PayoutInsufficientFund):
		return opaygate.PayoutResult{ErrorCode: "01010", ErrorMsg: "Insufficient Fund"}
	}
	return opaygate.PayoutResult{Success: true}
}
