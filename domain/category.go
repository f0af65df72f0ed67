package domain

import (
	"fmt"
	"strings"
)

// Category is the kind of service an order asks for and a team offers (its
// skills). The string is stored in events and never changes once released.
type Category string

// The service categories of a civilization-practice district.
const (
	CategoryTheory     Category = "theory"
	CategoryEducation  Category = "education"
	CategoryScience    Category = "science"
	CategoryCulture    Category = "culture"
	CategoryHealth     Category = "health"
	CategoryLegal      Category = "legal"
	CategoryErrand     Category = "errand"
	CategoryCounseling Category = "counseling"
)

var categoryLabels = map[Category][2]string{
	CategoryTheory:     {"思想理论", "Theory and policy"},
	CategoryEducation:  {"教育", "Education"},
	CategoryScience:    {"科技", "Science and technology"},
	CategoryCulture:    {"文化", "Culture"},
	CategoryHealth:     {"卫生健康", "Health"},
	CategoryLegal:      {"法律", "Legal aid"},
	CategoryErrand:     {"代购/送药/取快递", "Errands: shopping, medicine, parcels"},
	CategoryCounseling: {"心理疏导", "Counseling"},
}

// Categories returns every category in a fixed order.
func Categories() []Category {
	return []Category{CategoryTheory, CategoryEducation, CategoryScience, CategoryCulture,
		CategoryHealth, CategoryLegal, CategoryErrand, CategoryCounseling}
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	_, ok := categoryLabels[c]
	return ok
}

// LabelZH is the category's Chinese name, as residents see it.
func (c Category) LabelZH() string { return categoryLabels[c][0] }

// LabelEN is the category's English name.
func (c Category) LabelEN() string { return categoryLabels[c][1] }

// ParseCategory turns user input into a Category; it refuses unknown names
// with a *ValidationError for field "category".
func ParseCategory(s string) (Category, error) {
	c := Category(s)
	if err := c.validate("category"); err != nil {
		return "", err
	}
	return c, nil
}

func (c Category) validate(field string) error {
	if c.Valid() {
		return nil
	}
	names := make([]string, 0, len(categoryLabels))
	for _, k := range Categories() {
		names = append(names, string(k))
	}
	return &ValidationError{Field: field, Reason: fmt.Sprintf("unknown category %q; expected one of %s",
		string(c), strings.Join(names, ", "))}
}
