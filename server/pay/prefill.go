package pay

import (
	"net/url"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

// What cashier/create's page fields change on the checkout (METHODS.md §8.y): userInfo
// pre-fills the customer's details, evokeOpay opens the page on the OPay wallet. displayName
// replaces the merchant's name where the checkout is loaded (loadCheckout).

// prefill gives the view the customer's mobile number from userInfo in the two forms the
// method sections ask for: Mobile as the Egyptian wallets take it (01 and 9 digits), Phone in
// international form (+ and 8 to 15 digits); and the email the reference code may be sent to.
// A value that fits no field stays "": the customer types it. Each is only a value the
// customer may change; html/template escapes it.
func prefill(ov *orderView, o *opaygate.Order) {
	n := strings.NewReplacer(" ", "", "-", "").Replace(o.User.Mobile)
	ov.Mobile = egyptianMobile(n)
	ov.Phone = internationalPhone(n, o.Country)
	if opaygate.EmailAddress(o.User.Email) {
		ov.Email = o.User.Email
	}
}

// egyptianMobile reads +20 1…, 0020 1… and 20 1… as the national 01…; "" when n is not an
// Egyptian mobile number in any of these forms.
func egyptianMobile(n string) string {
	for _, prefix := range []string{"+2", "002", "2"} {
		if strings.HasPrefix(n, prefix+"01") {
			n = n[len(prefix):]
			break
		}
	}
	if !opaygate.EgyptianMobile(n) {
		return ""
	}
	return n
}

// internationalPhone writes n with its country code: 00… as +…, and a number of the order's
// country in national form (EG 01…, NG 0 and 10 digits) or without its + as +20…/+234….
func internationalPhone(n, country string) string {
	switch {
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case country == "EG" && opaygate.EgyptianMobile(n):
		n = "+2" + n
	case country == "EG" && len(n) == 12 && strings.HasPrefix(n, "20") && opaygate.Digits(n):
		n = "+" + n
	case country == "NG" && len(n) == 11 && n[0] == '0' && opaygate.Digits(n):
		n = "+234" + n[1:]
	case country == "NG" && len(n) == 13 && strings.HasPrefix(n, "234") && opaygate.Digits(n):
		n = "+" + n
	}
	if !opaygate.Phone(n) {
		return ""
	}
	return n
}

// evoked narrows the methods of an order created with evokeOpay to the OPay wallet when it is
// offered among others: the page opens on the wallet's step (METHODS.md §8.11) and links to
// the rest (?methods=all), without JavaScript. A page that comes back with a form's error
// shows every method, as the form that failed may be another method's.
func evoked(o *opaygate.Order, methods []method.Method, q url.Values) ([]method.Method, bool) {
	if !o.EvokeOpay || len(methods) < 2 || q.Get("methods") == "all" || q.Get("error") != "" {
		return methods, false
	}
	for _, m := range methods {
		if m.Name() == opaygate.PayMethodOpayWallet {
			return []method.Method{m}, true
		}
	}
	return methods, false
}
