package simulator_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/simulator"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()

	first, err := simulator.Seed(ctx, store, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 {
		t.Fatalf("seeded %d merchants, want 4", len(first))
	}
	want := map[string]string{
		"256612345678901": "OPAYPRV16357783346230.07653446106051542",
		"281821110129700": "OPAYPRV*******0187828",
		"256621051120756": "OPAYPRV*******0187828",
		"281822021180001": "OPAYPRV1644547******513012905",
	}
	for _, m := range first {
		if key, ok := want[m.ID]; !ok || m.PrivateKey != key {
			t.Errorf("merchant %s has private key %q, want %q", m.ID, m.PrivateKey, key)
		}
		if m.PublicKey == "" || m.Status != opaygate.MerchantActive {
			t.Errorf("merchant %s: public key %q, status %q", m.ID, m.PublicKey, m.Status)
		}
		for _, c := range []string{"EG", "NG"} {
			for _, fn := range opaygate.AllFunctions() {
				if err := m.Check(fn, c); err != nil {
					t.Errorf("merchant %s not enabled for %s in %s: %v", m.ID, fn, c, err)
				}
			}
		}
	}

	products, err := store.ListProducts(ctx, "256612345678901")
	if err != nil {
		t.Fatal(err)
	}
	var nos []string
	for _, p := range products {
		nos = append(nos, p.MerchantProductNo)
		// As in OPay's getInvoiceDetails example, the gateway's number is not the merchant's.
		if p.ProductNo == p.MerchantProductNo || p.ProductNo == "" || p.Name == "" || p.Price <= 0 || p.Currency != "EGP" || p.Image == "" {
			t.Errorf("product %+v is incomplete", p)
		}
	}
	slices.Sort(nos)
	if !slices.Equal(nos, []string{"1000000570", "1000000571"}) {
		t.Fatalf("products %v, want 1000000570 and 1000000571", nos)
	}

	t.Run("SecondRunKeepsPublicKeys", func(t *testing.T) {
		second, err := simulator.Seed(ctx, store, store)
		if err != nil {
			t.Fatal(err)
		}
		for i := range first {
			if second[i].ID != first[i].ID || second[i].PublicKey != first[i].PublicKey {
				t.Errorf("merchant %s: public key %q on the second run, was %q",
					first[i].ID, second[i].PublicKey, first[i].PublicKey)
			}
		}
		if len(store.merchants) != 4 || len(store.products) != 2 {
			t.Errorf("%d merchants and %d products after two runs, want 4 and 2",
				len(store.merchants), len(store.products))
		}
	})

	t.Run("KeepsOperatorChanges", func(t *testing.T) {
		disabled := opaygate.MerchantDisabled
		if _, err := store.UpdateMerchant(ctx, "281822021180001", opaygate.MerchantUpdate{Status: &disabled}); err != nil {
			t.Fatal(err)
		}
		if _, err := simulator.Seed(ctx, store, store); err != nil {
			t.Fatal(err)
		}
		if m, _ := store.FindMerchant(ctx, "281822021180001"); m.Status != opaygate.MerchantDisabled {
			t.Errorf("seeding re-enabled a merchant the operator disabled")
		}
	})
}

// memStore is just enough of the storage services for seeding.
type memStore struct {
	mu        sync.Mutex
	merchants map[string]opaygate.Merchant
	products  map[string]opaygate.Product // by merchant id + merchantProductNo
}

func newMemStore() *memStore {
	return &memStore{merchants: map[string]opaygate.Merchant{}, products: map[string]opaygate.Product{}}
}

func (s *memStore) CreateMerchant(ctx context.Context, m *opaygate.Merchant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.merchants[m.ID]; ok {
		return opaygate.Errorf(opaygate.EDUPLICATE, "merchant exists")
	}
	s.merchants[m.ID] = *m
	return nil
}

func (s *memStore) FindMerchant(ctx context.Context, id string) (*opaygate.Merchant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchants[id]
	if !ok {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
	}
	return &m, nil
}

func (s *memStore) ListMerchants(ctx context.Context) ([]*opaygate.Merchant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*opaygate.Merchant
	for _, m := range s.merchants {
		out = append(out, &m)
	}
	return out, nil
}

func (s *memStore) UpdateMerchant(ctx context.Context, id string, upd opaygate.MerchantUpdate) (*opaygate.Merchant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchants[id]
	if !ok {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
	}
	if upd.Status != nil {
		m.Status = *upd.Status
	}
	s.merchants[id] = m
	return &m, nil
}

func (s *memStore) CreateProduct(ctx context.Context, p *opaygate.Product) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := p.MerchantID + "/" + p.MerchantProductNo
	if _, ok := s.products[k]; ok {
		return opaygate.Errorf(opaygate.EDUPLICATE, "product exists")
	}
	s.products[k] = *p
	return nil
}

func (s *memStore) UpdateProduct(ctx context.Context, p *opaygate.Product) error {
	return opaygate.Errorf(opaygate.EINTERNAL, "not implemented")
}

func (s *memStore) ListProducts(ctx context.Context, merchantID string) ([]*opaygate.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*opaygate.Product
	for _, p := range s.products {
		if p.MerchantID == merchantID {
			out = append(out, &p)
		}
	}
	return out, nil
}

func (s *memStore) FindProduct(ctx context.Context, merchantID, merchantProductNo string) (*opaygate.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[merchantID+"/"+merchantProductNo]
	if !ok {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "product not found.")
	}
	return &p, nil
}
