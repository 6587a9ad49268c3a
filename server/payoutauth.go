package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// sendRSA is what a payout request's Authorization must carry.
const sendRSA = "send Bearer and the base64 SHA256withRSA signature of the body"

// rsaSigned wraps a payout endpoint (METHODS.md §10). Payouts move the merchant's money out,
// so they are signed with the merchant's own RSA private key, of which the gateway holds only
// the public half (Merchant.PayoutPublicKey): an HMAC signature, which the gateway's
// database could forge, is refused. The merchant must be enabled for FuncPayout. Every
// failure, the endpoint's included, is answered in payout codes (payoutError).
func (s *Server) rsaSigned(h endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, auth, err := s.identify(r, sendRSA)
		if err != nil {
			s.refuseUnread(w, r, http.StatusOK, payoutError(err))
			return
		}
		body, release, ok := s.readBody(w, r)
		if !ok {
			return
		}
		defer release()
		httplog.From(r.Context()).Body = body
		if err := authenticateRSA(m, body, auth); err != nil {
			s.fail(w, r, payoutError(err))
			return
		}
		data, err := h(r.Context(), m, body)
		if err != nil {
			s.fail(w, r, payoutError(err))
			return
		}
		s.ok(w, r, data)
	})
}

// authenticateRSA checks auth against m's payout key and the body, then that m may make
// payouts. As for other paths, a disabled merchant learns so only after proving who it is.
func authenticateRSA(m *opaygate.Merchant, body []byte, auth string) error {
	if err := checkRSASignature(m, body, auth); err != nil {
		return err
	}
	if m.Status == opaygate.MerchantDisabled {
		return opaygate.Errorf(opaygate.EDISABLED, "merchant %s is disabled", m.ID)
	}
	if err := m.Check(opaygate.FuncPayout, ""); err != nil {
		return opaygate.Errorf(opaygate.ENOTCONFIGURED, "merchant %s is not enabled for payouts (function %s)", m.ID, opaygate.FuncPayout)
	}
	return nil
}

// checkRSASignature says, when the signature does not verify, why as precisely as it can
// without quoting a key or the signature.
func checkRSASignature(m *opaygate.Merchant, body []byte, auth string) error {
	if m.PayoutPublicKey == "" {
		return authFailed("merchant %s has no payout public key: upload one (opaygate merchant payout-key set, "+
			"or the dashboard's settings) before making payouts", m.ID)
	}
	pub, err := opaygate.ParsePayoutKey(m.PayoutPublicKey)
	if err != nil {
		// Stored keys are normalized when set; one that no longer parses is the gateway's fault.
		return errors.New("merchant " + m.ID + ": stored payout key: " + opaygate.ErrorMessage(err))
	}
	if opay.VerifyRSA(body, auth, pub) {
		return nil
	}
	sig := auth
	if len(sig) >= 6 && strings.EqualFold(sig[:6], "bearer") {
		sig = strings.TrimLeft(sig[6:], " ")
	}
	switch {
	case len(sig) == 128 && isHex(sig) && m.PrivateKey != "" && opay.Verify(body, sig, m.PrivateKey):
		return authFailed("HMAC signatures are refused on payout paths: this is the HMAC-SHA512 of the body under " +
			"the private key; " + sendRSA + " under the merchant's payout private key")
	case len(sig) == 128 && isHex(sig):
		return authFailed("HMAC signatures are refused on payout paths: Authorization has 128 hex digits, the shape " +
			"of an HMAC-SHA512; " + sendRSA)
	case m.PublicKey != "" && keyEquals(auth, m.PublicKey):
		return authFailed("Authorization carries the merchant's public key, which payout paths refuse: " + sendRSA)
	case m.PrivateKey != "" && keyEquals(auth, m.PrivateKey):
		return authFailed("Authorization carries the private key itself, never send it: " + sendRSA)
	}
	raw, ok := opay.DecodeRSASignature(sig)
	switch {
	case !ok:
		return authFailed("Authorization is not base64 (standard or URL-safe, padded or not): " + sendRSA)
	case len(raw) != pub.Size():
		return authFailed("the signature has %d bytes (%d base64 characters); merchant %s's %d-bit payout key makes "+
			"signatures of %d bytes (%d base64 characters)", len(raw), len(sig), m.ID, pub.N.BitLen(), pub.Size(),
			base64.StdEncoding.EncodedLen(pub.Size()))
	}
	return authFailed("the signature matches no accepted form of this body (raw bytes, compact, compact with "+
		"sorted keys) under merchant %s's payout public key %s", m.ID, opaygate.PayoutKeyFingerprint(pub))
}

// payoutError restates err in payout codes (METHODS.md §10.5), which differ from the rest
// of the API's in words (02000, 02007) and, for a function the merchant lacks, in code:
// 02017 where other paths say 02002. Other errors are left to the one table in error.go.
func payoutError(err error) error {
	var e *opaygate.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case opaygate.EUNAUTHENTICATED:
		return &wireError{code: opay.CodeAuthFailed, message: opay.MessagePayoutAuthFailed, detail: e.Message}
	case opaygate.EDISABLED:
		return &wireError{code: opay.CodeMerchantDisabled, message: opay.MessagePayoutMerchantDisabled, detail: e.Message}
	case opaygate.ENOTCONFIGURED:
		return &wireError{code: opay.CodePayoutNotOpened, message: opay.MessagePayoutNotOpened, detail: e.Message}
	case opaygate.EDUPLICATE:
		return &wireError{code: opay.CodePayoutExists, message: opay.MessagePayoutExists, detail: e.Message}
	case opaygate.EBALANCE:
		return &wireError{code: opay.CodeBalanceNotEnough, message: opay.MessageBalanceNotEnough, detail: e.Message}
	case opaygate.ENOTFOUND:
		return &wireError{code: opay.CodePayoutNotFound, message: opay.MessagePayoutNotFound, detail: e.Message}
	case opaygate.EINVALID:
		// No payout code covers a malformed field: 02001, with the problem in the message.
		return payoutInvalid("%s", e.Message)
	}
	return err
}
