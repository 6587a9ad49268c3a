package opaygate

import (
	"context"
	"time"
)

// Product is an entry of a merchant's catalog, used by invoices.
type Product struct {
	ID                int64
	ProductNo         string // the gateway's id, numeric
	MerchantID        string
	MerchantProductNo string // the merchant's id, unique per merchant
	Name              string
	Image             string
	Description       string
	Price             int64
	Currency          string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// ProductService stores the catalog.
type ProductService interface {
	CreateProduct(ctx context.Context, p *Product) error
	UpdateProduct(ctx context.Context, p *Product) error
	ListProducts(ctx context.Context, merchantID string) ([]*Product, error)
	FindProduct(ctx context.Context, merchantID, merchantProductNo string) (*Product, error)
}
