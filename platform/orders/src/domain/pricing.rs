//! How an order is priced, in integer minor units only: items at the catalogue price, a flat
//! shipping rate per vendor, the tenant's tax on goods and shipping. The cart shows exactly what
//! checkout will charge because both call [`quote`].

use products::api::stock::Offer;
use uuid::Uuid;

/// The tenant's tax: a rate in basis points (1800 = 18 %) and whether prices include it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tax {
    pub rate_bps: i32,
    pub inclusive: bool,
}

impl Tax {
    /// The tax in `amount`, rounded half up: the part of it when prices include the tax, on top
    /// of it otherwise.
    fn of(self, amount: i128) -> i128 {
        let bps = i128::from(self.rate_bps);
        let (num, den) = if self.inclusive {
            (amount * bps, 10_000 + bps)
        } else {
            (amount * bps, 10_000)
        };
        (2 * num + den) / (2 * den)
    }
}

#[derive(Clone, Debug)]
pub struct QuoteLine {
    pub offer: Offer,
    pub quantity: i32,
    pub total_minor: i64,
}

/// One vendor's part: its lines, their subtotal, its shipping, the tax on both, the total.
#[derive(Clone, Debug)]
pub struct VendorQuote {
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub lines: Vec<QuoteLine>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// A whole order: the vendor parts (in the order their first line came) and their sums.
#[derive(Clone, Debug)]
pub struct Quote {
    pub vendors: Vec<VendorQuote>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub item_count: i32,
    pub tax: Tax,
}

/// Prices `lines`. `None` when an amount would not fit in 63 bits (no real order does).
pub fn quote(lines: Vec<(Offer, i32)>, tax: Tax) -> Option<Quote> {
    let mut vendors: Vec<VendorQuote> = Vec::new();
    for (offer, quantity) in lines {
        let total = i64::try_from(i128::from(offer.price_minor) * i128::from(quantity)).ok()?;
        let line = QuoteLine {
            offer,
            quantity,
            total_minor: total,
        };
        match vendors
            .iter_mut()
            .find(|v| v.vendor_id == line.offer.vendor_id)
        {
            Some(v) => v.lines.push(line),
            None => vendors.push(VendorQuote {
                vendor_id: line.offer.vendor_id,
                vendor_name: line.offer.vendor_name.clone(),
                shipping_minor: line.offer.shipping_rate_minor,
                lines: vec![line],
                subtotal_minor: 0,
                tax_minor: 0,
                total_minor: 0,
            }),
        }
    }
    let (mut subtotal, mut shipping, mut tax_sum, mut total, mut count) =
        (0i128, 0i128, 0i128, 0i128, 0i64);
    for v in &mut vendors {
        let sub: i128 = v.lines.iter().map(|l| i128::from(l.total_minor)).sum();
        let ship = i128::from(v.shipping_minor);
        let t = tax.of(sub + ship);
        let tot = if tax.inclusive {
            sub + ship
        } else {
            sub + ship + t
        };
        v.subtotal_minor = i64::try_from(sub).ok()?;
        v.tax_minor = i64::try_from(t).ok()?;
        v.total_minor = i64::try_from(tot).ok()?;
        subtotal += sub;
        shipping += ship;
        tax_sum += t;
        total += tot;
        count += v.lines.iter().map(|l| i64::from(l.quantity)).sum::<i64>();
    }
    Some(Quote {
        vendors,
        subtotal_minor: i64::try_from(subtotal).ok()?,
        shipping_minor: i64::try_from(shipping).ok()?,
        tax_minor: i64::try_from(tax_sum).ok()?,
        total_minor: i64::try_from(total).ok()?,
        item_count: i32::try_from(count).ok()?,
        tax,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(vendor: u128, price: i64, shipping: i64) -> Offer {
        Offer {
            variant_id: Uuid::now_v7(),
            product_id: Uuid::now_v7(),
            vendor_id: Uuid::from_u128(vendor),
            vendor_name: format!("v{vendor}"),
            shipping_rate_minor: shipping,
            sku: "S".into(),
            title: "T".into(),
            variant_title: None,
            options: serde_json::json!({}),
            price_minor: price,
            currency: "PEN".into(),
            available: 10,
        }
    }

    #[test]
    fn groups_by_vendor_with_flat_shipping_each() {
        let q = quote(
            vec![
                (offer(1, 2500, 1000), 2),
                (offer(2, 4990, 500), 1),
                (offer(1, 100, 1000), 3),
            ],
            Tax {
                rate_bps: 0,
                inclusive: true,
            },
        )
        .unwrap();
        assert_eq!(q.vendors.len(), 2);
        assert_eq!(q.vendors[0].subtotal_minor, 5300);
        assert_eq!(q.vendors[0].shipping_minor, 1000);
        assert_eq!(q.vendors[1].subtotal_minor, 4990);
        assert_eq!(q.subtotal_minor, 10290);
        assert_eq!(q.shipping_minor, 1500);
        assert_eq!(q.total_minor, 11790);
        assert_eq!(q.item_count, 6);
    }

    #[test]
    fn inclusive_tax_is_the_part_already_in_the_price() {
        // 118.00 including 18 % is 100.00 plus 18.00 of tax.
        let q = quote(
            vec![(offer(1, 11800, 0), 1)],
            Tax {
                rate_bps: 1800,
                inclusive: true,
            },
        )
        .unwrap();
        assert_eq!((q.tax_minor, q.total_minor), (1800, 11800));
    }

    #[test]
    fn exclusive_tax_is_added_and_rounded_half_up() {
        // 18 % of 10.25 (with 0.00 shipping) is 1.845, rounded to 1.85.
        let q = quote(
            vec![(offer(1, 1025, 0), 1)],
            Tax {
                rate_bps: 1800,
                inclusive: false,
            },
        )
        .unwrap();
        assert_eq!((q.tax_minor, q.total_minor), (185, 1210));
        // Tax covers shipping too, per vendor; the order's tax is the sum of its parts.
        let q = quote(
            vec![(offer(1, 1000, 1000), 1), (offer(2, 333, 0), 1)],
            Tax {
                rate_bps: 1000,
                inclusive: false,
            },
        )
        .unwrap();
        assert_eq!(q.vendors[0].tax_minor, 200);
        assert_eq!(q.vendors[1].tax_minor, 33);
        assert_eq!(q.tax_minor, 233);
        assert_eq!(q.total_minor, 2333 + 233);
    }

    #[test]
    fn amounts_that_do_not_fit_are_refused() {
        let tax = Tax {
            rate_bps: 0,
            inclusive: true,
        };
        assert!(quote(vec![(offer(1, i64::MAX, 0), 2)], tax).is_none());
        assert!(
            quote(
                vec![
                    (offer(1, i64::MAX / 2, 10), 1),
                    (offer(1, i64::MAX / 2, 10), 1)
                ],
                tax
            )
            .is_none()
        );
    }
}
