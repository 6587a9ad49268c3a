package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/opaygate/opaygate"
)

// ProductService stores merchants' catalogs.
type ProductService struct {
	db    *DB
	clock opaygate.Clock
}

var _ opaygate.ProductService = (*ProductService)(nil)

const productColumns = `id, product_no, merchant_id, merchant_product_no, name, image, description,
	price, currency, created_at, updated_at`

func scanProduct(row interface{ Scan(...any) error }) (*opaygate.Product, error) {
	var p opaygate.Product
	var created, updated int64
	if err := row.Scan(&p.ID, &p.ProductNo, &p.MerchantID, &p.MerchantProductNo, &p.Name, &p.Image,
		&p.Description, &p.Price, &p.Currency, &created, &updated); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

// CreateProduct adds a product to a merchant's catalog. ProductNo is drawn
// from a sequence unless given (the sandbox's documented products).
func (s *ProductService) CreateProduct(ctx context.Context, p *opaygate.Product) error {
	if err := validateProduct(p); err != nil {
		return err
	}
	p.CreatedAt = s.clock.Now()
	p.UpdatedAt = p.CreatedAt
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		if p.ProductNo == "" {
			n, err := tx.nextSeq(ctx, "products")
			if err != nil {
				return err
			}
			p.ProductNo = strconv.FormatInt(n, 10)
		}
		err := tx.queryRow(ctx, `INSERT INTO products (product_no, merchant_id, merchant_product_no, name,
			image, description, price, currency, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.ProductNo, p.MerchantID, p.MerchantProductNo, p.Name, p.Image, p.Description, p.Price,
			p.Currency, ms(p.CreatedAt), ms(p.UpdatedAt)).Scan(&p.ID)
		if isUniqueViolation(err) {
			return opaygate.Errorf(opaygate.EDUPLICATE, "product %s already exists", p.MerchantProductNo)
		} else if err != nil {
			return fmt.Errorf("create product: %w", err)
		}
		return nil
	})
}

// UpdateProduct changes a product's name, image, description and price. An
// invoice keeps the snapshot it took, so this never changes an issued invoice.
func (s *ProductService) UpdateProduct(ctx context.Context, p *opaygate.Product) error {
	if err := validateProduct(p); err != nil {
		return err
	}
	p.UpdatedAt = s.clock.Now()
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE products SET name = ?, image = ?, description = ?, price = ?,
			currency = ?, updated_at = ? WHERE merchant_id = ? AND merchant_product_no = ?`,
			p.Name, p.Image, p.Description, p.Price, p.Currency, ms(p.UpdatedAt), p.MerchantID, p.MerchantProductNo)
		if err != nil {
			return fmt.Errorf("update product: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opaygate.Errorf(opaygate.ENOTFOUND, "product not found.")
		}
		return nil
	})
}

// ListProducts returns a merchant's catalog, oldest first.
func (s *ProductService) ListProducts(ctx context.Context, merchantID string) ([]*opaygate.Product, error) {
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT `+productColumns+`
		FROM products WHERE merchant_id = ? ORDER BY created_at, id`), merchantID)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, fmt.Errorf("list products: %w", err)
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// FindProduct returns a merchant's product by the merchant's own number.
func (s *ProductService) FindProduct(ctx context.Context, merchantID, merchantProductNo string) (*opaygate.Product, error) {
	p, err := scanProduct(s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT `+productColumns+`
		FROM products WHERE merchant_id = ? AND merchant_product_no = ?`), merchantID, merchantProductNo))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "product not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find product: %w", err)
	}
	return p, nil
}

func validateProduct(p *opaygate.Product) error {
	switch {
	case p.MerchantID == "":
		return opaygate.Invalid("merchantId is required")
	case p.MerchantProductNo == "":
		return opaygate.Invalid("merchantProductNo is required")
	case p.Name == "":
		return opaygate.Invalid("name is required")
	case p.Price <= 0 || p.Price > opaygate.MaxAmount:
		return opaygate.Invalid("price must be a positive integer")
	case p.Currency != "EGP" && p.Currency != "NGN":
		return opaygate.Invalid("currency must be EGP or NGN")
	}
	return nil
}
