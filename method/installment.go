package method

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// BankInstallment is a card payment spread over one of a bank's installment plans (EG,
// METHODS.md §8.5): the merchant lists the plans (getBankInstallment), the customer pays with
// a card of that bank, and EG installment cards always confirm on the 3-D Secure page. The
// order remembers the bank and the months.
//
//	start → FAIL 54 (expired card)
//	      → PENDING REDIRECT_3DS → confirmed → acquirer
//
// On the hosted checkout the customer chooses a bank's plan among those that take the order's
// amount and types the card; the 3-D Secure page follows.
type BankInstallment struct {
	Banks []InstallmentBank // the gateway's catalogue; DefaultInstallmentBanks when empty
}

var _ Method = BankInstallment{}

// InstallmentBank and InstallmentPlan are the domain's (a merchant may have its own
// catalogue).
type (
	InstallmentBank = opaygate.InstallmentBank
	InstallmentPlan = opaygate.InstallmentPlan
)

func (BankInstallment) OnAPI() bool       { return true }
func (BankInstallment) Voidable() bool    { return true }
func (BankInstallment) OnCheckout() bool  { return true }
func (BankInstallment) Refused() string   { return "installment" }
func (BankInstallment) SandboxHints() any { return nil }

// InstallmentSection is what the checkout's section shows: the banks whose plans take the
// order's amount, each plan with its monthly payment.
type InstallmentSection struct {
	Banks []SectionBank
}

// SectionBank is one bank of the section.
type SectionBank struct {
	Code, Name string
	Plans      []SectionPlan
}

// SectionPlan is one plan as the customer reads it: the form's value ("CIB:6"), the months,
// the fee rate and the monthly payment (the amount with the fee, spread evenly, rounded up).
type SectionPlan struct {
	Value   string
	Months  int
	FeeRate string
	Monthly string
}

// Section lists the plans for the order's amount; none (false) leaves the section out of a
// checkout that offers other methods.
func (b BankInstallment) Section(o *opaygate.Order) (any, bool) {
	var sec InstallmentSection
	for _, bank := range b.Catalogue(o.InstallmentBanks, o.Amount) {
		sb := SectionBank{Code: bank.Code, Name: bank.Name}
		for _, p := range bank.Plans {
			sb.Plans = append(sb.Plans, SectionPlan{Value: bank.Code + ":" + strconv.Itoa(p.Months),
				Months: p.Months, FeeRate: p.FeeRate,
				Monthly: opaygate.FormatAmount(monthly(o.Amount, p), opaygate.CurrencyOf(o.Country))})
		}
		sec.Banks = append(sec.Banks, sb)
	}
	return sec, len(sec.Banks) > 0
}

// monthly is the amount with the plan's fee, over its months, rounded up to the minor unit.
func monthly(amount int64, p InstallmentPlan) int64 {
	rate, err := strconv.ParseFloat(p.FeeRate, 64)
	if err != nil || rate < 0 {
		rate = 0
	}
	bp := int64(rate*100 + 0.5) // percent → basis points
	return opaygate.CeilDiv(amount+opaygate.RoundHalfUp(amount, bp), int64(p.Months))
}

// Form reads the chosen plan ("CIB:6") and the card, as the card section's form does.
func (BankInstallment) Form(f url.Values) (any, string) {
	bank, months, ok := strings.Cut(f.Get("plan"), ":")
	m, err := strconv.Atoi(months)
	if !ok || bank == "" || err != nil || m <= 0 {
		return nil, "installment_plan"
	}
	card, problem := BankCard{}.Form(f)
	if problem != "" {
		return nil, problem
	}
	c := card.(opaygate.Card)
	c.IssuerSteps = false // EG installment cards always confirm on the 3-D Secure page
	return installmentParams{card: c, bankCode: bank, months: m}, ""
}

func (BankInstallment) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"installment.title":      "Bank installments",
			"installment.intro":      "Spread the payment over monthly installments with a credit card of one of these banks.",
			"installment.plans":      "Plans of %s",
			"installment.months":     "%d months",
			"installment.monthly":    "%s a month",
			"installment.fee":        "fee %s%%",
			"installment.none":       "No bank installment plan takes this amount.",
			"installment.card":       "Card of that bank",
			"installment.pay":        "Continue to your bank",
			"error.installment":      "Choose a plan of your card's bank for this amount.",
			"error.installment_plan": "Choose an installment plan.",
		},
		"AR": {
			"installment.title":      "تقسيط بنكي",
			"installment.intro":      "قسّط المبلغ على أقساط شهرية باستخدام بطاقة ائتمان من أحد هذه البنوك.",
			"installment.plans":      "خطط %s",
			"installment.months":     "%d شهرًا",
			"installment.monthly":    "%s شهريًا",
			"installment.fee":        "رسوم %s%%",
			"installment.none":       "لا توجد خطة تقسيط بنكي لهذا المبلغ.",
			"installment.card":       "بطاقة هذا البنك",
			"installment.pay":        "المتابعة إلى البنك",
			"error.installment":      "اختر خطة من بنك بطاقتك لهذا المبلغ.",
			"error.installment_plan": "اختر خطة تقسيط.",
		},
	}
}

// Every sandbox plan takes 500.00 to 500,000.00 EGP.
const (
	installmentMin int64 = 50_000
	installmentMax int64 = 50_000_000
)

// DefaultInstallmentBanks is the sandbox's catalogue (METHODS.md §8.5).
func DefaultInstallmentBanks() []InstallmentBank {
	plans := func(rate string, months ...int) []InstallmentPlan {
		var ps []InstallmentPlan
		for _, m := range months {
			ps = append(ps, InstallmentPlan{Months: m, FeeRate: rate, Min: installmentMin, Max: installmentMax})
		}
		return ps
	}
	return []InstallmentBank{
		{Code: "CIB", Name: "Commercial International Bank", Plans: plans("0", 6, 12)},
		{Code: "NBE", Name: "National Bank of Egypt", Plans: plans("5", 6, 12, 18)},
		{Code: "QNB", Name: "QNB Al Ahli", Plans: plans("0", 3, 6)},
	}
}

// Catalogue is the banks and their plans that take amount (every plan when amount is 0):
// the merchant's own catalogue when it has one (merchant not nil), else the gateway's. A bank
// with no such plan is left out.
func (b BankInstallment) Catalogue(merchant []InstallmentBank, amount int64) []InstallmentBank {
	banks := merchant
	if banks == nil {
		banks = b.Banks
	}
	if len(banks) == 0 {
		banks = DefaultInstallmentBanks()
	}
	var out []InstallmentBank
	for _, bank := range banks {
		fit := slices.DeleteFunc(slices.Clone(bank.Plans), func(p InstallmentPlan) bool {
			return amount != 0 && (amount < p.Min || amount > p.Max)
		})
		if len(fit) > 0 {
			out = append(out, InstallmentBank{Code: bank.Code, Name: bank.Name, Plans: fit})
		}
	}
	return out
}

func (BankInstallment) Name() string                { return opaygate.PayMethodBankInstallment }
func (BankInstallment) Function() opaygate.Function { return opaygate.FuncBankInstallment }
func (BankInstallment) Countries() []string         { return []string{"EG"} }
func (BankInstallment) Slug() string                { return "bankinstallment" }

// installmentParams are the card and the chosen plan.
type installmentParams struct {
	card     opaygate.Card
	bankCode string
	months   int
}

// Params reads the card as BankCard does, always with 3-D Secure (so returnUrl is required),
// and bankInstallment, which must name a plan for the order's amount.
func (b BankInstallment) Params(req *opay.PaymentCreateRequest) (any, error) {
	if req.BankCard == nil {
		return nil, opaygate.Invalid("bankcard is required for payMethod BankInstallment")
	}
	withThreeDS := *req
	card3DS := *req.BankCard
	card3DS.Enable3DS = true
	withThreeDS.BankCard = &card3DS
	if cardToken(req) != "" {
		// A token pays a BankCard payment only (METHODS.md §9.3).
		return nil, opaygate.Invalid("opayToken is for payMethod BankCard, not BankInstallment")
	}
	card, err := BankCard{}.Params(&withThreeDS)
	if err != nil {
		return nil, err
	}
	bi := req.BankInstallment
	switch {
	case bi == nil:
		return nil, opaygate.Invalid("bankInstallment is required for payMethod BankInstallment")
	case bi.BankCode == "":
		return nil, opaygate.Invalid("bankInstallment.bankCode is required")
	case bi.Months <= 0:
		return nil, opaygate.Invalid("bankInstallment.months must be a positive integer")
	}
	// Whether it is a plan of the merchant's catalogue for the amount is Start's to check:
	// the order carries the catalogue.
	return installmentParams{card: card.(opaygate.Card), bankCode: bi.BankCode, months: int(bi.Months)}, nil
}

// offers reports whether bank has a plan of months for the order's amount, in the order's
// merchant's catalogue.
func (b BankInstallment) offers(o *opaygate.Order, bank string, months int) bool {
	for _, c := range b.Catalogue(o.InstallmentBanks, o.Amount) {
		if c.Code == bank {
			return slices.ContainsFunc(c.Plans, func(p InstallmentPlan) bool { return p.Months == months })
		}
	}
	return false
}

// Start keeps the card's BIN and last four, the bank and the months, and waits for the 3-D
// Secure page; an expired card fails at once with 54.
func (b BankInstallment) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, now time.Time) (opaygate.Move, error) {
	p, ok := params.(installmentParams)
	if !ok {
		return opaygate.Move{}, opaygate.Invalid("bankcard is required for payMethod BankInstallment")
	}
	if err := p.card.Check(); err != nil {
		return opaygate.Move{}, err
	}
	if !b.offers(o, p.bankCode, p.months) {
		return opaygate.Move{}, opaygate.Invalid("bankInstallment.bankCode and months must be a plan for the amount (see getBankInstallment)")
	}
	o.CardBIN, o.CardLast4 = p.card.BIN(), p.card.Last4()
	o.Months = p.months
	o.MethodData = map[string]string{"bankCode": p.bankCode, "months": strconv.Itoa(p.months)}
	if p.card.Expired(now) {
		return opaygate.Decline(opaygate.CodeExpiredCard, opaygate.ReasonExpiredCard), nil
	}
	return opaygate.Wait(opaygate.Step3DS), nil
}

// Next: a confirmed 3-D Secure page goes to the acquirer.
func (BankInstallment) Next(_ *opaygate.Order, done opaygate.Step) opaygate.Move {
	if done == opaygate.Step3DS {
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

// NextAction sends the customer to the 3-D Secure page.
func (BankInstallment) NextAction(o *opaygate.Order, links Links) *opay.NextAction {
	return waiting(o, links)
}
