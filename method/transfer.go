package method

import (
	"context"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// BankTransfer is payment by transfer to a virtual account opened for the order (NG,
// METHODS.md §8.8). The account number is 10 digits (a NUBAN's length), unique among open
// orders (storage keeps it so, see opaygate.DataLookup); the network reports the transfer,
// and a transfer of another amount fails the order with 13 (the sandbox's pay control).
//
//	start → PENDING EXTERNAL (TRANSFER_ACCOUNT) → network reports → acquirer
type BankTransfer struct{ external }

var _ Method = BankTransfer{}

// The sandbox's virtual accounts.
const (
	transferAccountDigits = 10
	TransferBankName      = "OPay Sandbox Bank"
	transferNamePrefix    = "OPay-"
)

func (BankTransfer) Name() string                { return opaygate.PayMethodBankTransfer }
func (BankTransfer) Function() opaygate.Function { return opaygate.FuncBankTransfer }
func (BankTransfer) Countries() []string         { return []string{"NG"} }
func (BankTransfer) Slug() string                { return "banktransfer" }

// Params reads customerName and userPhone, both required; userPhone is the customer's
// identifier.
func (BankTransfer) Params(req *opay.PaymentCreateRequest) (any, error) {
	if err := opaygate.CheckText("customerName", req.CustomerName, opaygate.MaxNameLength, true); err != nil {
		return nil, err
	}
	if req.UserPhone == "" {
		return nil, opaygate.Invalid("userPhone is required for payMethod BankTransfer")
	}
	return phone(req.UserPhone)
}

// Start opens the virtual account: a new number each run (storage runs Start again when
// another open order holds the number), named after the merchant.
func (BankTransfer) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	p, _ := params.(string)
	if p == "" {
		return opaygate.Move{}, opaygate.Invalid("userPhone is required for payMethod BankTransfer")
	}
	account := randomDigits(transferAccountDigits)
	return wait(o, map[string]string{
		opaygate.DataIdentifier:      p,
		opaygate.DataTransferAccount: account,
		opaygate.DataLookup:          opaygate.LookupKey(opaygate.DataTransferAccount, account),
		"transferAccountName":        transferNamePrefix + o.MerchantName,
	}), nil
}

// NextAction shows the account to transfer to and when it closes.
func (BankTransfer) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionTransferAccount,
		TransferAccountNumber: o.MethodData[opaygate.DataTransferAccount],
		TransferAccountName:   o.MethodData["transferAccountName"],
		TransferBankName:      TransferBankName, ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}
