package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/sqlstore"
)

// tickingClock moves a millisecond forward every time it is read, so a state
// move that reads the clock twice writes two different times.
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// instants returns the distinct times the final move of an order wrote: the
// order's update time, the final event and every time of its callback.
func instants(t *testing.T, db *sqlstore.DB, id int64, final opaygate.OrderStatus) []string {
	t.Helper()
	got, err := sqlstore.QueryStrings(db, `SELECT DISTINCT x FROM (
		SELECT updated_at AS x FROM orders WHERE id = ?
		UNION ALL SELECT at FROM order_events WHERE order_id = ? AND to_status = ?
		UNION ALL SELECT event_time FROM callbacks WHERE order_id = ?
		UNION ALL SELECT created_at FROM callbacks WHERE order_id = ?
		UNION ALL SELECT next_attempt_at FROM callbacks WHERE order_id = ?) t`,
		id, id, final, id, id, id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOneInstantPerMove(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: &tickingClock{t: time.Now().UTC()},
			ValU: e.net, OTP: e.net, Acquirer: e.net})
		t.Run("DeclinedAtCreate", func(t *testing.T) {
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: "tick-decline", Country: "EG", Amount: 60000,
				PayMethod: opaygate.PayMethodValU, ValUAccount: "01000000051", ProductName: "Fridge"}
			if err := svc.Orders.CreatePayment(ctx, o, nil); err != nil || o.Status != opaygate.StatusFail {
				t.Fatalf("create: %s %v", o.Status, err)
			}
			got := instants(t, e.db, o.ID, opaygate.StatusFail)
			created, _ := sqlstore.QueryStrings(e.db, `SELECT created_at FROM orders WHERE id = ?`, o.ID)
			if len(got) != 1 || created[0] != got[0] {
				t.Fatalf("one transaction wrote the times %v (created %v)", got, created)
			}
		})
		t.Run("Paid", func(t *testing.T) {
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: "tick-paid", Country: "EG", Amount: 60000,
				PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678", ProductName: "Fridge"}
			if err := svc.Orders.CreatePayment(ctx, o, nil); err != nil {
				t.Fatal(err)
			}
			key := opaygate.OrderKey{OrderNo: o.OrderNo}
			if _, err := svc.Orders.SelectPlan(ctx, e.m.ID, key, 6); err != nil {
				t.Fatal(err)
			}
			if done, err := svc.Orders.SubmitOTP(ctx, e.m.ID, key, "123456"); err != nil || done.Status != opaygate.StatusSuccess {
				t.Fatalf("pay: %+v %v", done, err)
			}
			if got := instants(t, e.db, o.ID, opaygate.StatusSuccess); len(got) != 1 {
				t.Fatalf("the final move wrote the times %v", got)
			}
		})
	})
}
