package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// env is one backend with services, a movable clock and the sandbox network.
type env struct {
	db    *sqlstore.DB
	svc   *sqlstore.Services
	clock *opaygate.OffsetClock
	net   *simulator.Network
	m     *opaygate.Merchant // merchant A
	other *opaygate.Merchant // merchant B
}

// eachBackend runs fn as a subtest on SQLite and on PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			fn(t, newEnv(t, dialect))
		})
	}
}

func newEnv(t testing.TB, dialect sqlstore.Dialect) *env {
	e := &env{db: sqlstoretest.Open(t, dialect), clock: opaygate.NewOffsetClock(nil), net: simulator.New()}
	e.svc = sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net,
		Acquirer: e.net})
	e.m = e.mustMerchant(t, "256612345678901", "https://merchant.example/callback")
	e.other = e.mustMerchant(t, "281821110129700", "")
	return e
}

func (e *env) mustMerchant(t testing.TB, id, webhook string) *opaygate.Merchant {
	t.Helper()
	priv, pub := opaygate.NewKeyPair()
	m := &opaygate.Merchant{ID: id, Name: "M" + id, PrivateKey: priv, PublicKey: pub,
		Countries: []string{"EG", "NG"}, Functions: opaygate.AllFunctions(), WebhookURL: webhook}
	if err := e.svc.Merchants.CreateMerchant(context.Background(), m); err != nil {
		t.Fatalf("create merchant: %v", err)
	}
	return m
}

func (e *env) mustOrder(t testing.TB, o *opaygate.Order) *opaygate.Order {
	t.Helper()
	if o.MerchantID == "" {
		o.MerchantID = e.m.ID
	}
	if o.Country == "" {
		o.Country = "EG"
	}
	if o.ProductName == "" {
		o.ProductName = "Shoes"
	}
	// An order with a ValU account is a payment/create; any other a hosted-checkout order.
	create := e.svc.Orders.CreateOrder
	if o.ValUAccount != "" {
		create = func(ctx context.Context, o *opaygate.Order) error { return e.svc.Orders.CreatePayment(ctx, o, nil) }
	}
	if err := create(context.Background(), o); err != nil {
		t.Fatalf("create order %s: %v", o.Reference, err)
	}
	return o
}

// valuAtOTP creates a ValU order and takes it to the OTP step.
func (e *env) valuAtOTP(t testing.TB, ref string, amount int64) (*opaygate.Order, string) {
	t.Helper()
	o := e.mustOrder(t, &opaygate.Order{Reference: ref, Amount: amount, PayMethod: opaygate.PayMethodValU,
		ValUAccount: "01012345678", Channel: opaygate.ChannelAPI})
	if _, err := e.svc.Orders.SelectPlan(context.Background(), e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}, 6); err != nil {
		t.Fatalf("select plan: %v", err)
	}
	code, ok := e.net.LastOTP(o.OrderNo)
	if !ok {
		t.Fatal("no OTP was sent")
	}
	return o, code
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := opaygate.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func (e *env) find(t testing.TB, key opaygate.OrderKey) *opaygate.Order {
	t.Helper()
	o, err := e.svc.Orders.FindOrder(context.Background(), e.m.ID, key)
	if err != nil {
		t.Fatalf("find order: %v", err)
	}
	// Every order a test finds is also read as a status query would, which must
	// agree with the whole order on everything it reads (expiry included).
	st, err := e.svc.Orders.FindOrderStatus(context.Background(), e.m.ID, key)
	if err != nil {
		t.Fatalf("find order status: %v", err)
	}
	if want := statusFields(o); !reflect.DeepEqual(st, want) {
		t.Fatalf("FindOrderStatus\n got %+v\nwant %+v", st, want)
	}
	return o
}

// statusFields is what FindOrderStatus reads of o (opaygate.OrderService).
func statusFields(o *opaygate.Order) *opaygate.Order {
	return &opaygate.Order{ID: o.ID, OrderNo: o.OrderNo, MerchantID: o.MerchantID, Reference: o.Reference,
		Country: o.Country, Currency: o.Currency, Amount: o.Amount, VAT: o.VAT, PayMethod: o.PayMethod,
		Status: o.Status, Step: o.Step, FailureCode: o.FailureCode, FailureReason: o.FailureReason,
		Voided: o.Voided, VoidState: o.VoidState, ExpireAt: o.ExpireAt, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func (e *env) callbacks(t testing.TB, orderID int64) []string {
	t.Helper()
	rows, err := sqlstore.QueryStrings(e.db, `SELECT status FROM callbacks WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestMerchants(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m, err := e.svc.Merchants.FindMerchant(ctx, e.m.ID)
		if err != nil || m.PublicKey != e.m.PublicKey || len(m.Functions) != len(opaygate.AllFunctions()) ||
			m.Status != opaygate.MerchantActive || m.WebhookURL != e.m.WebhookURL {
			t.Fatalf("find: %+v, %v", m, err)
		}
		t.Run("ErrDuplicate", func(t *testing.T) {
			wantCode(t, e.svc.Merchants.CreateMerchant(ctx, &opaygate.Merchant{ID: e.m.ID, PrivateKey: "a", PublicKey: "b"}), opaygate.EDUPLICATE)
		})
		t.Run("CallbackVersion", func(t *testing.T) {
			if m.CallbackVersion != opaygate.CallbackV1 {
				t.Fatalf("default callback version %q", m.CallbackVersion)
			}
			v2, bad := opaygate.CallbackV2, opaygate.CallbackVersion("v3")
			got, err := e.svc.Merchants.UpdateMerchant(ctx, e.other.ID, opaygate.MerchantUpdate{CallbackVersion: &v2})
			if err != nil || got.CallbackVersion != v2 {
				t.Fatalf("update: %+v %v", got, err)
			}
			_, err = e.svc.Merchants.UpdateMerchant(ctx, e.other.ID, opaygate.MerchantUpdate{CallbackVersion: &bad})
			wantCode(t, err, opaygate.EINVALID)
			wantCode(t, e.svc.Merchants.CreateMerchant(ctx, &opaygate.Merchant{ID: "100000000000042", PrivateKey: "a", PublicKey: "b",
				CallbackVersion: bad}), opaygate.EINVALID)
			v1 := opaygate.CallbackV1
			if got, err := e.svc.Merchants.UpdateMerchant(ctx, e.other.ID, opaygate.MerchantUpdate{CallbackVersion: &v1}); err != nil || got.CallbackVersion != v1 {
				t.Fatalf("back to v1: %+v %v", got, err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := e.svc.Merchants.FindMerchant(ctx, "999999999999999")
			wantCode(t, err, opaygate.ENOTFOUND)
		})
		t.Run("Disable", func(t *testing.T) {
			disabled := opaygate.MerchantDisabled
			m, err := e.svc.Merchants.UpdateMerchant(ctx, e.other.ID, opaygate.MerchantUpdate{Status: &disabled, Countries: []string{"NG"}})
			if err != nil || m.Status != disabled || len(m.Countries) != 1 {
				t.Fatalf("update: %+v %v", m, err)
			}
			wantCode(t, m.Check(opaygate.FuncCashier, "NG"), opaygate.EDISABLED)
		})
		t.Run("CachedCopiesAndUpdates", func(t *testing.T) {
			a, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID)
			a.Countries[0], a.Name = "XX", "changed by a caller"
			b, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID)
			if b.Countries[0] != "EG" || b.Name == a.Name {
				t.Fatalf("a caller's change leaked into the cache: %+v", b)
			}
			name := "Renamed"
			got, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{Name: &name})
			if err != nil || got.Name != name {
				t.Fatalf("update answered %+v, %v", got, err)
			}
			if again, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID); again.Name != name {
				t.Fatalf("read after update: %q", again.Name)
			}
		})
		t.Run("InstallmentCatalogue", func(t *testing.T) {
			if m, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID); m.InstallmentBanks != nil {
				t.Fatalf("a new merchant has its own catalogue: %+v", m.InstallmentBanks)
			}
			own := []opaygate.InstallmentBank{{Code: "HSBC", Name: "HSBC Egypt",
				Plans: []opaygate.InstallmentPlan{{Months: 24, FeeRate: "7.5", Min: 100_000, Max: 5_000_000}}}}
			got, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{InstallmentBanks: &own})
			if err != nil || !reflect.DeepEqual(got.InstallmentBanks, own) {
				t.Fatalf("set: %+v %v", got, err)
			}
			got.InstallmentBanks[0].Plans[0].FeeRate = "99" // a caller's change stays its own
			e.db.ForgetMerchants()
			if m, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID); !reflect.DeepEqual(m.InstallmentBanks, own) {
				t.Fatalf("read back: %+v", m.InstallmentBanks)
			}
			if m, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID); !reflect.DeepEqual(m.InstallmentBanks, own) {
				t.Fatalf("cached: %+v", m.InstallmentBanks)
			}
			bad := []opaygate.InstallmentBank{{Code: "X", Name: "X"}}
			_, err = e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{InstallmentBanks: &bad})
			wantCode(t, err, opaygate.EINVALID)
			var none []opaygate.InstallmentBank
			if got, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{InstallmentBanks: &none}); err != nil || got.InstallmentBanks != nil {
				t.Fatalf("reset: %+v %v", got, err)
			}
		})
		list, err := e.svc.Merchants.ListMerchants(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %d %v", len(list), err)
		}
	})
}

func TestProducts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p := &opaygate.Product{MerchantID: e.m.ID, MerchantProductNo: "SKU-1", Name: "Tea", Price: 1500, Currency: "EGP"}
		if err := e.svc.Products.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		if len(p.ProductNo) < 10 {
			t.Fatalf("productNo %q", p.ProductNo)
		}
		wantCode(t, e.svc.Products.CreateProduct(ctx, &opaygate.Product{MerchantID: e.m.ID, MerchantProductNo: "SKU-1",
			Name: "Tea", Price: 1, Currency: "EGP"}), opaygate.EDUPLICATE)
		wantCode(t, e.svc.Products.CreateProduct(ctx, &opaygate.Product{MerchantID: e.m.ID, MerchantProductNo: "SKU-2",
			Name: "Tea", Price: 0, Currency: "EGP"}), opaygate.EINVALID)
		p.Price = 1700
		if err := e.svc.Products.UpdateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Products.FindProduct(ctx, e.m.ID, "SKU-1")
		if err != nil || got.Price != 1700 {
			t.Fatalf("find: %+v %v", got, err)
		}
		if _, err := e.svc.Products.FindProduct(ctx, e.other.ID, "SKU-1"); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
			t.Fatalf("other merchant sees the product: %v", err)
		}
	})
}

func asError(err error, target **opaygate.Error) bool { return errors.As(err, target) }
