package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/opaygate/opaygate"
)

// productsPage is the data of the catalog listing.
type productsPage struct {
	Products []*opaygate.Product
}

// products lists the merchant's catalog, the products invoices are made of.
func (d *Dashboard) products(w http.ResponseWriter, r *http.Request, v *visit) {
	list, err := d.svc.Products.ListProducts(r.Context(), v.m.ID)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.render(w, r, http.StatusOK, "products", v, page{Title: "Products", Nav: "products", Data: productsPage{Products: list}})
}

// productForm is the add/edit form as typed.
type productForm struct {
	Edit                                bool
	No, Name, Description, Image, Price string
	Currency                            string
	Currencies                          []string
	Action                              string
}

func (d *Dashboard) newProductPage(w http.ResponseWriter, r *http.Request, v *visit) {
	d.showProductForm(w, r, v, http.StatusOK, "", productForm{Currency: firstOr(v.m.Currencies(), "")})
}

func (d *Dashboard) editProductPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := d.svc.Products.FindProduct(r.Context(), v.m.ID, r.PathValue("no"))
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.showProductForm(w, r, v, http.StatusOK, "", productForm{Edit: true, No: p.MerchantProductNo, Name: p.Name,
		Description: p.Description, Image: p.Image, Price: major(p.Price), Currency: p.Currency})
}

func (d *Dashboard) showProductForm(w http.ResponseWriter, r *http.Request, v *visit, status int, problem string, f productForm) {
	f.Currencies = v.m.Currencies()
	f.Action = "/dashboard/products"
	title := "New product"
	if f.Edit {
		f.Action += "/" + url.PathEscape(f.No)
		title = "Edit product"
	}
	d.render(w, r, status, "product", v, page{Title: title, Nav: "products", Error: problem, Data: f})
}

// readProduct validates the form into a product of the merchant.
func readProduct(v *visit, f productForm) (*opaygate.Product, error) {
	p := &opaygate.Product{MerchantID: v.m.ID, MerchantProductNo: f.No, Name: f.Name,
		Description: f.Description, Image: f.Image, Currency: f.Currency}
	if err := opaygate.CheckText("product number", f.No, opaygate.MaxReferenceLength, true); err != nil {
		return nil, err
	}
	if strings.ContainsAny(f.No, "/?#") {
		return nil, errForm("product number must not contain /, ? or #")
	}
	if err := opaygate.CheckText("name", f.Name, opaygate.MaxNameLength, true); err != nil {
		return nil, err
	}
	if err := opaygate.CheckTextLines("description", f.Description, opaygate.MaxTextLength, false, true); err != nil {
		return nil, err
	}
	if err := opaygate.CheckURL("image", f.Image, false); err != nil {
		return nil, err
	}
	if !slices.Contains(v.m.Currencies(), f.Currency) {
		return nil, errForm("currency must be one of %s", strings.Join(v.m.Currencies(), ", "))
	}
	price, err := parseMoney("price", f.Price)
	if err != nil {
		return nil, err
	}
	p.Price = price
	return p, nil
}

func productFromForm(r *http.Request) productForm {
	pf := r.PostForm
	return productForm{No: strings.TrimSpace(pf.Get("no")), Name: strings.TrimSpace(pf.Get("name")),
		Description: strings.TrimSpace(pf.Get("description")), Image: strings.TrimSpace(pf.Get("image")),
		Price: pf.Get("price"), Currency: pf.Get("currency")}
}

// createProduct adds a product; a product number already in the catalog is refused.
func (d *Dashboard) createProduct(w http.ResponseWriter, r *http.Request, v *visit) {
	f := productFromForm(r)
	p, err := readProduct(v, f)
	if err == nil {
		err = d.svc.Products.CreateProduct(r.Context(), p)
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		if opaygate.ErrorCode(err) == opaygate.EDUPLICATE {
			msg = "A product with this number is already in the catalog."
		}
		d.showProductForm(w, r, v, status, msg, f)
		return
	}
	d.redirect(w, r, "/dashboard/products?ok=created")
}

// updateProduct changes a product; issued invoices keep the snapshot they took.
func (d *Dashboard) updateProduct(w http.ResponseWriter, r *http.Request, v *visit) {
	no := r.PathValue("no")
	if _, err := d.svc.Products.FindProduct(r.Context(), v.m.ID, no); err != nil {
		d.fail(w, r, v, err)
		return
	}
	f := productFromForm(r)
	f.No, f.Edit = no, true
	p, err := readProduct(v, f)
	if err == nil {
		err = d.svc.Products.UpdateProduct(r.Context(), p)
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		d.showProductForm(w, r, v, status, msg, f)
		return
	}
	d.redirect(w, r, "/dashboard/products?ok=saved")
}
