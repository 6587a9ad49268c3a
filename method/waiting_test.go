package method_test

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

// The checkout's forms of the external methods, what their order keeps, and what the waiting
// page and the API show of it.
func TestExternalCheckout(t *testing.T) {
	links := method.Links{Simulate: func(token string) string { return "http://gw.example/simulate?orderToken=" + token }}
	sim := links.Simulate("tok")
	for _, tc := range []struct {
		name    string
		form    url.Values
		problem string // the form's refusal, or ""
		want    method.Waiting
		id      string // the identifier of the sandbox's rule
	}{
		{"MWALLET", url.Values{"walletAccount": {"0101234"}}, "wallet", method.Waiting{}, ""},
		{"MWALLET", url.Values{"walletAccount": {"010 1234 5678"}}, "", method.Waiting{QRCode: sim, Identifier: "01012345678", App: sim}, "01012345678"},
		{"VodafoneCash", url.Values{"mobile": {"+201012345678"}}, "mobile", method.Waiting{}, ""},
		{"VodafoneCash", url.Values{"mobile": {"01012345678"}}, "", method.Waiting{Identifier: "01012345678", App: sim, HandOff: true}, "01012345678"},
		{"Shahry", url.Values{"mobile": {"01000000051"}}, "", method.Waiting{Identifier: "01000000051", App: sim, HandOff: true}, "01000000051"},
		{"OpayWalletNg", url.Values{}, "", method.Waiting{QRCode: sim, App: sim}, ""},
		{"BankUssd", url.Values{"bankCode": {"999"}}, "ussd_bank", method.Waiting{}, ""},
		{"BankUssd", url.Values{"bankCode": {"033"}}, "", method.Waiting{Identifier: "*919*000*0042#", App: sim}, ""},
		{"BankTransfer", url.Values{"mobile": {"0803 123 4567"}}, "transfer_mobile", method.Waiting{}, ""},
	} {
		m, _ := method.Default().Lookup(tc.name)
		params, problem := m.Form(tc.form)
		if problem != tc.problem {
			t.Errorf("%s %v: problem %q, want %q", tc.name, tc.form, problem, tc.problem)
			continue
		}
		if problem != "" {
			continue
		}
		o := &opaygate.Order{Token: "tok", OrderNo: "261128000000000042", Status: opaygate.StatusPending,
			ExpireAt: time.Unix(1800, 0)}
		move, err := m.Start(context.Background(), opaygate.Network{}, o, params, time.Unix(0, 0))
		if err != nil || move.Step != opaygate.StepExternal {
			t.Errorf("%s: start %+v, %v", tc.name, move, err)
			continue
		}
		o.Step = move.Step
		if got := m.(method.Waiter).Waiting(o, links); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: waiting %+v, want %+v", tc.name, got, tc.want)
		}
		if got := o.MethodData[opaygate.DataIdentifier]; got != tc.id {
			t.Errorf("%s: identifier %q, want %q", tc.name, got, tc.id)
		}
		// The API's QR code is the page's.
		if n := m.NextAction(o, links); n != nil && n.QRCode != tc.want.QRCode {
			t.Errorf("%s: nextAction qrCode %q, waiting page %q", tc.name, n.QRCode, tc.want.QRCode)
		}
	}
}

// BankTransfer's checkout: the mobile number becomes the identifier, and the waiting page
// shows the account the order holds, its name and its bank.
func TestBankTransferCheckout(t *testing.T) {
	links := method.Links{Simulate: func(token string) string { return "http://gw.example/simulate?orderToken=" + token }}
	m, _ := method.Default().Lookup(opaygate.PayMethodBankTransfer)
	params, problem := m.Form(url.Values{"mobile": {"+234 803 123 4567"}})
	if problem != "" {
		t.Fatalf("form refused: %s", problem)
	}
	o := &opaygate.Order{Token: "tok", OrderNo: "261128000000000042", Status: opaygate.StatusPending,
		MerchantName: "Lagos Shop", ExpireAt: time.Unix(1800, 0)}
	move, err := m.Start(context.Background(), opaygate.Network{}, o, params, time.Unix(0, 0))
	if err != nil || move.Step != opaygate.StepExternal {
		t.Fatalf("start %+v, %v", move, err)
	}
	o.Step = move.Step
	account := o.MethodData[opaygate.DataTransferAccount]
	want := method.Waiting{Identifier: account, App: links.Simulate("tok"),
		Details: map[string]string{"accountName": "OPay-Lagos Shop", "bankName": method.TransferBankName}}
	if got := m.(method.Waiter).Waiting(o, links); len(account) != 10 || !reflect.DeepEqual(got, want) {
		t.Errorf("waiting %+v, want %+v", got, want)
	}
	if id := o.MethodData[opaygate.DataIdentifier]; id != "+2348031234567" {
		t.Errorf("identifier %q", id)
	}
	if n := m.NextAction(o, links); n == nil || n.TransferAccountNumber != account {
		t.Errorf("nextAction %+v: the API shows another account than the page", n)
	}
}
