package simulator

import (
	"context"
	"fmt"

	"github.com/opaygate/opaygate"
)

// DemoMerchant is a merchant that appears in OPay's documentation. Its private
// key is the documentation's, so the sample code there runs as printed against
// the sandbox with only the host changed. These keys are public values.
type DemoMerchant struct {
	ID         string
	Name       string
	PrivateKey string
}

// DemoMerchants lists the documentation's merchants (spec section 7). Two of
// them share a key because the documentation masks both the same way.
func DemoMerchants() []DemoMerchant {
	return []DemoMerchant{
		{ID: "256612345678901", Name: "OPay Demo Merchant", PrivateKey: "OPAYPRV16357783346230.07653446106051542"},
		{ID: "281821110129700", Name: "OPay Demo Merchant 2", PrivateKey: "OPAYPRV*******0187828"},
		{ID: "256621051120756", Name: "OPay Demo Merchant 3", PrivateKey: "OPAYPRV*******0187828"},
		{ID: "281822021180001", Name: "OPay Demo Merchant 4", PrivateKey: "OPAYPRV1644547******513012905"},
	}
}

// DemoProducts is the catalog of the first demo merchant, shaped like the
// products of the documentation's invoice examples: its createSingleInvoice
// sample orders one of 1000000570 and two of 1000000571, which makes the
// 100.00 EGP invoice of its getInvoiceDetails sample. As in that sample, the
// gateway's productNo (10001, 10002) is not the merchant's number; numbers the
// store generates start at 1000001001, so they never collide with these.
func DemoProducts() []opaygate.Product {
	const merchant = "256612345678901"
	return []opaygate.Product{{
		ProductNo:         "10001",
		MerchantID:        merchant,
		MerchantProductNo: "1000000570",
		Name:              "Product X",
		Image:             "https://www.yourproduct.com/product1.png",
		Description:       "OPay demo product X",
		Price:             2000,
		Currency:          "EGP",
	}, {
		ProductNo:         "10002",
		MerchantID:        merchant,
		MerchantProductNo: "1000000571",
		Name:              "Product Y",
		Image:             "https://www.yourproduct.com/product2.png",
		Description:       "OPay demo product Y",
		Price:             4000,
		Currency:          "EGP",
	}}
}

// Seed loads the demo merchants and products unless they already exist, and
// returns the merchants as stored. Existing rows are left untouched, so a
// merchant keeps the public key generated on the first start (and any change
// an operator made to it) across restarts. It is safe to run concurrently
// from several nodes sharing a database.
func Seed(ctx context.Context, merchants opaygate.MerchantService, products opaygate.ProductService) ([]*opaygate.Merchant, error) {
	var out []*opaygate.Merchant
	for _, d := range DemoMerchants() {
		m, err := seedMerchant(ctx, merchants, d)
		if err != nil {
			return nil, fmt.Errorf("seed merchant %s: %w", d.ID, err)
		}
		out = append(out, m)
	}
	for _, p := range DemoProducts() {
		if err := seedProduct(ctx, products, p); err != nil {
			return nil, fmt.Errorf("seed product %s: %w", p.MerchantProductNo, err)
		}
	}
	return out, nil
}

func seedMerchant(ctx context.Context, merchants opaygate.MerchantService, d DemoMerchant) (*opaygate.Merchant, error) {
	m, err := merchants.FindMerchant(ctx, d.ID)
	if err == nil {
		return m, nil
	} else if opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
		return nil, err
	}
	_, public := opaygate.NewKeyPair()
	m = &opaygate.Merchant{
		ID:         d.ID,
		Name:       d.Name,
		PrivateKey: d.PrivateKey,
		PublicKey:  public,
		Status:     opaygate.MerchantActive,
		Countries:  opaygate.Countries(),
		Functions:  opaygate.AllFunctions(),
	}
	if err := merchants.CreateMerchant(ctx, m); err != nil {
		// Another node sharing the database seeded it first: use its row.
		if opaygate.ErrorCode(err) == opaygate.EDUPLICATE {
			return merchants.FindMerchant(ctx, d.ID)
		}
		return nil, err
	}
	return m, nil
}

func seedProduct(ctx context.Context, products opaygate.ProductService, p opaygate.Product) error {
	_, err := products.FindProduct(ctx, p.MerchantID, p.MerchantProductNo)
	if err == nil {
		return nil
	} else if opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
		return err
	}
	if err := products.CreateProduct(ctx, &p); err != nil && opaygate.ErrorCode(err) != opaygate.EDUPLICATE {
		return err
	}
	return nil
}
