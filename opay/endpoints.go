package opay

import (
	"context"
	"fmt"
	"strings"
)

// The paths of the contract's endpoints, for requests built by hand (see Client.Do).
const (
	PathCashierCreate         = "/api/v1/international/cashier/create"
	PathCashierStatus         = "/api/v1/international/cashier/status"
	PathPaymentClose          = "/api/v1/international/payment/close"
	PathPaymentCreate         = "/api/v1/international/payment/create"
	PathInputInstallmentMonth = "/api/v1/payment/action/input-installment-month"
	PathInputOTP              = "/api/v1/payment/action/input-otp"
	PathInputPIN              = "/api/v1/payment/action/input-pin"
	PathBankInstallment       = "/api/v1/international/payment/getBankInstallment"
	PathResendOTP             = "/api/v1/payment/action/resend-otp"
	PathRefundCreate          = "/api/v1/international/payment/refund/create"
	PathRefundQuery           = "/api/v1/international/payment/refund/query"
	PathInvoiceCreate         = "/api/v1/international/invoice/createSingleInvoice"
	PathInvoiceDetails        = "/api/v1/international/invoice/getInvoiceDetails"
	PathInvoiceCancel         = "/api/v1/international/invoice/cancelInvoice"
	PathInvoiceStatistics     = "/api/v1/international/invoice/getInvoicesStatistics"
	PathTokenCreate           = "/api/v1/international/token/create"
	PathTokenQuery            = "/api/v1/international/token/query"
	PathTokenDelete           = "/api/v1/international/token/delete"
	PathPaymentVoid           = "/api/v1/international/payment/void"
	PathReversalStatus        = "/api/v1/international/transaction/reversal/status"
)

// pathCashierCreate is what Do recognises as cashier/create behind any base path.
const pathCashierCreate = "/cashier/create"

// endpoint is how the client treats one path.
type endpoint struct {
	name   string // for errors and logs
	path   string
	retry  retryRule
	public bool // authenticated with the public key when the client has one
	rsa    bool // a payout path: signed with the payout key (WithPayoutKey), never the HMAC
}

// pathPayout is what Do recognises as a payout path, signed with RSA.
const pathPayout = "/payout/"

// doPayout sends req to a payout path (e.g. "/api/v1/international/payout/queryorder"),
// signed with the payout key, and decodes a successful answer's data into out (when not nil).
// It retries only requests that never left, which is safe for every payout path; a read
// that should also retry 50003 can use c.call with endpoint{…, retry: retryRead, rsa: true}.
func (c *Client) doPayout(ctx context.Context, path string, req, out any) error {
	ep := endpoint{name: strings.TrimPrefix(path, "/api/v1/international/"), path: path, retry: retryUnsent, rsa: true}
	_, err := c.call(ctx, ep, req, out)
	return err
}

var (
	epCashierCreate     = endpoint{name: "cashier/create", path: PathCashierCreate, retry: retryCreate, public: true}
	epCashierStatus     = endpoint{name: "cashier/status", path: PathCashierStatus, retry: retryRead}
	epPaymentClose      = endpoint{name: "payment/close", path: PathPaymentClose, retry: retryUnsent}
	epPaymentCreate     = endpoint{name: "payment/create", path: PathPaymentCreate, retry: retryCreate}
	epInstallmentMonth  = endpoint{name: "input-installment-month", path: PathInputInstallmentMonth, retry: retryUnsent}
	epInputOTP          = endpoint{name: "input-otp", path: PathInputOTP, retry: retryUnsent}
	epInputPIN          = endpoint{name: "input-pin", path: PathInputPIN, retry: retryUnsent}
	epBankInstallment   = endpoint{name: "getBankInstallment", path: PathBankInstallment, retry: retryRead}
	epResendOTP         = endpoint{name: "resend-otp", path: PathResendOTP, retry: retryUnsent}
	epRefundCreate      = endpoint{name: "refund/create", path: PathRefundCreate, retry: retryCreate}
	epRefundQuery       = endpoint{name: "refund/query", path: PathRefundQuery, retry: retryRead}
	epInvoiceCreate     = endpoint{name: "createSingleInvoice", path: PathInvoiceCreate, retry: retryUnsent}
	epInvoiceDetails    = endpoint{name: "getInvoiceDetails", path: PathInvoiceDetails, retry: retryRead}
	epInvoiceCancel     = endpoint{name: "cancelInvoice", path: PathInvoiceCancel, retry: retryUnsent}
	epInvoiceStatistics = endpoint{name: "getInvoicesStatistics", path: PathInvoiceStatistics, retry: retryRead}
	epTokenCreate       = endpoint{name: "token/create", path: PathTokenCreate, retry: retryUnsent}
	epTokenQuery        = endpoint{name: "token/query", path: PathTokenQuery, retry: retryRead}
	epTokenDelete       = endpoint{name: "token/delete", path: PathTokenDelete, retry: retryUnsent}
	epPaymentVoid       = endpoint{name: "payment/void", path: PathPaymentVoid, retry: retryRead}
	epReversalStatus    = endpoint{name: "reversal/status", path: PathReversalStatus, retry: retryRead}
)

// CreateCashier creates a hosted-checkout order; send the customer to its CashierURL. With
// WithPublicKey the request is authenticated with the public key, as OPay documents, else
// signed. Retried as a create (see RetryPolicy).
func (c *Client) CreateCashier(ctx context.Context, req CashierCreateRequest) (*CashierCreateData, error) {
	var d CashierCreateData
	earlier, err := c.call(ctx, epCashierCreate, req, &d)
	if recoverable(earlier, err) {
		o, rerr := c.recoverOrder(ctx, epCashierCreate, err, req.Reference, req.Country, req.Amount)
		if rerr != nil {
			return nil, rerr
		}
		return &CashierCreateData{Reference: o.Reference, OrderNo: o.OrderNo, Status: o.Status,
			Amount: o.Amount, VAT: o.VAT}, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// CashierStatus reads an order by OrderNo, else by Reference; Country is required. An order
// past its expiry reads as CLOSE. Retried as a read.
func (c *Client) CashierStatus(ctx context.Context, req CashierStatusRequest) (*CashierStatusData, error) {
	var d CashierStatusData
	if _, err := c.call(ctx, epCashierStatus, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ClosePayment closes an INITIAL or PENDING order; closing a closed order again answers the
// same, and a paid or failed one answers ErrOrderState. Not retried once sent.
func (c *Client) ClosePayment(ctx context.Context, req PaymentCloseRequest) (*PaymentCloseData, error) {
	var d PaymentCloseData
	if _, err := c.call(ctx, epPaymentClose, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// CreatePayment starts a server-to-server payment: PayMethodValU with ValUAccountNumber (the
// answer's NextAction offers the plans), or PayMethodBankCard with BankCard. Retried as a
// create (see RetryPolicy).
func (c *Client) CreatePayment(ctx context.Context, req PaymentCreateRequest) (*PaymentCreateData, error) {
	var d PaymentCreateData
	earlier, err := c.call(ctx, epPaymentCreate, req, &d)
	if recoverable(earlier, err) {
		o, rerr := c.recoverOrder(ctx, epPaymentCreate, err, req.Reference, req.Country, req.Amount)
		if rerr != nil {
			return nil, rerr
		}
		return &PaymentCreateData{Reference: o.Reference, OrderNo: o.OrderNo, Status: o.Status,
			Amount: o.Amount, VAT: o.VAT, FailureCode: o.FailureCode, FailureReason: o.FailureReason}, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// InputInstallmentMonth chooses one of the ValU plans the order offered; the gateway then
// texts the customer an OTP. Not retried once sent.
func (c *Client) InputInstallmentMonth(ctx context.Context, req InputInstallmentMonthRequest) (*ActionData, error) {
	var d ActionData
	if _, err := c.call(ctx, epInstallmentMonth, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// InputOTP submits the customer's OTP. A wrong one answers ErrInvalidOTP (the message says how
// many attempts are left), an old one ErrOTPExpired. Not retried once sent: every submission
// counts as an attempt.
func (c *Client) InputOTP(ctx context.Context, req InputOTPRequest) (*InputOTPData, error) {
	var d InputOTPData
	if _, err := c.call(ctx, epInputOTP, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// InputPIN submits the card's PIN (NG cards that ask for one). The answer's NextAction asks
// for the OTP when the issuer wants one too; a wrong PIN answers ErrInvalidOTP (the message
// says how many attempts are left), and the third fails the order with 55. Not retried once
// sent: every submission counts as an attempt.
func (c *Client) InputPIN(ctx context.Context, req InputPINRequest) (*InputPINData, error) {
	var d InputPINData
	if _, err := c.call(ctx, epInputPIN, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// BankInstallments lists the banks' installment plans a BankInstallment payment may choose
// from (getBankInstallment). Retried as a read.
func (c *Client) BankInstallments(ctx context.Context, req BankInstallmentRequest) ([]InstallmentBank, error) {
	var d []InstallmentBank
	if _, err := c.call(ctx, epBankInstallment, req, &d); err != nil {
		return nil, err
	}
	return d, nil
}

// ResendOTP texts the customer a new OTP and invalidates the old one. Not retried once sent.
func (c *Client) ResendOTP(ctx context.Context, req ResendOTPRequest) (*ActionData, error) {
	var d ActionData
	if _, err := c.call(ctx, epResendOTP, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// CreateRefund refunds all or part of a SUCCESS order. Retried as a create (see RetryPolicy).
func (c *Client) CreateRefund(ctx context.Context, req RefundCreateRequest) (*RefundData, error) {
	var d RefundData
	earlier, err := c.call(ctx, epRefundCreate, req, &d)
	if recoverable(earlier, err) {
		return c.recoverRefund(ctx, err, req)
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// QueryRefund reads a refund by its Reference (or OrderNo); Country is required. Retried as a
// read.
func (c *Client) QueryRefund(ctx context.Context, req RefundQueryRequest) (*RefundData, error) {
	var d RefundData
	if _, err := c.call(ctx, epRefundQuery, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// CreateInvoice issues an e-invoice (createSingleInvoice); its InvoiceLink is the page where
// the customer pays. Invoices carry no reference of the merchant's, so this is not retried once
// sent: a repeat would issue a second invoice.
func (c *Client) CreateInvoice(ctx context.Context, req CreateInvoiceRequest) (*InvoiceData, error) {
	var d InvoiceData
	if _, err := c.call(ctx, epInvoiceCreate, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// InvoiceDetails reads an invoice (getInvoiceDetails). An Unpaid invoice past its due date
// reads as Expired. Retried as a read.
func (c *Client) InvoiceDetails(ctx context.Context, req InvoiceNoRequest) (*InvoiceData, error) {
	var d InvoiceData
	if _, err := c.call(ctx, epInvoiceDetails, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// CancelInvoice cancels an Unpaid invoice (cancelInvoice); cancelling a cancelled invoice
// again succeeds, a Paid or Expired one answers ErrInvoiceState. Not retried once sent.
func (c *Client) CancelInvoice(ctx context.Context, req InvoiceNoRequest) error {
	var ok string
	if _, err := c.call(ctx, epInvoiceCancel, req, &ok); err != nil {
		return err
	}
	if ok != "true" {
		return fmt.Errorf("opay: %s: answered 00000 with data %q instead of \"true\"", epInvoiceCancel.name, ok)
	}
	return nil
}

// InvoiceStatistics counts and sums the merchant's invoices created in a range of epoch
// seconds (getInvoicesStatistics). Retried as a read.
func (c *Client) InvoiceStatistics(ctx context.Context, req InvoiceStatisticsRequest) (*InvoiceStatisticsData, error) {
	var d InvoiceStatisticsData
	if _, err := c.call(ctx, epInvoiceStatistics, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// CreateToken tokenises a card for a customer (token/create, METHODS.md §9): pay with the
// answer's OpayToken in BankCard.OpayToken. No acquirer is asked. A reference used before is
// an *APIError with code 20000. Not retried once sent.
func (c *Client) CreateToken(ctx context.Context, req TokenCreateRequest) (*TokenData, error) {
	var d TokenData
	if _, err := c.call(ctx, epTokenCreate, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Token reads one token (token/query by opayToken). An unknown or deleted token is 02006
// (ErrNotFound). Retried as a read.
func (c *Client) Token(ctx context.Context, opayToken string) (*TokenData, error) {
	var d TokenData
	if _, err := c.call(ctx, epTokenQuery, TokenQueryRequest{OpayToken: opayToken}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// CustomerTokens lists a customer's tokens, newest first (token/query by customerId).
// Retried as a read.
func (c *Client) CustomerTokens(ctx context.Context, customerID string) (*CustomerTokensData, error) {
	var d CustomerTokensData
	if _, err := c.call(ctx, epTokenQuery, TokenQueryRequest{CustomerID: customerID}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteToken deletes a token; a second delete is 02006 (ErrNotFound). Not retried once sent.
func (c *Client) DeleteToken(ctx context.Context, opayToken string) error {
	_, err := c.call(ctx, epTokenDelete, TokenQueryRequest{OpayToken: opayToken}, nil)
	return err
}

// VoidPayment voids a card payment before it settles (payment/void, METHODS.md §12): IsVoided
// is false until the reversal completes (CashierStatus then says true). A void is idempotent,
// so it is retried like a read.
func (c *Client) VoidPayment(ctx context.Context, req PaymentVoidRequest) (*PaymentVoidData, error) {
	var d PaymentVoidData
	if _, err := c.call(ctx, epPaymentVoid, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ReversalStatus reads a void by reversalNo, else by the order's reference. Retried as a read.
func (c *Client) ReversalStatus(ctx context.Context, req ReversalStatusRequest) (*ReversalStatusData, error) {
	var d ReversalStatusData
	if _, err := c.call(ctx, epReversalStatus, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
