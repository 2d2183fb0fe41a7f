//! Wanderbricks-lite: the simulator's dataset, generated from a seed at start-up.
//!
//! Eight tables of `main.wanderbricks` with the real column names, types and Unity Catalog
//! comments of Databricks' `samples.wanderbricks` (defects included, such as the unclosed
//! parenthesis of `countries.country`'s comment), ≈20,000 bookings from 2023-01-01 to the
//! as-of date with seasonality, cancellations, refunds and failed payments, and the deliberate
//! traps of the fixture: same-named non-key columns (`country`, `created_at`, `status`, `rating`,
//! `name`), two money columns (`bookings.total_amount`, `payments.amount`), lower-case enums,
//! state names next to state codes, and a cheap wrong join path (bookings → users → countries).
//! The base catalog carries only the "poor" metadata: UC comments, no keys, no tags.
//!
//! Dates and timestamps use the simulator's canonical text form (see [`date_text`] and
//! [`timestamp_text`]) so that text comparison in SQLite orders them chronologically.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use sha2::{Digest, Sha256};

use crate::sim::catalog::{Catalog, Column, DataType, QualifiedName, Table};
use crate::sim::rng::SplitMix64;

/// One generated cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

/// The rows of one table, in the column order of its catalog entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TableData {
    pub name: QualifiedName,
    pub rows: Vec<Vec<Value>>,
}

/// All generated tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub tables: Vec<TableData>,
}

impl Dataset {
    /// The rows of a table.
    pub fn table(&self, name: &QualifiedName) -> Option<&TableData> {
        self.tables.iter().find(|table| &table.name == name)
    }

    /// A SHA-256 over every table name and cell: equal fingerprints mean identical data.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        for table in &self.tables {
            hasher.update(table.name.to_string().as_bytes());
            for row in &table.rows {
                for value in row {
                    hasher.update(format!("{value:?}|").as_bytes());
                }
                hasher.update(b"\n");
            }
        }
        format!("{:x}", hasher.finalize())
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataConfig {
    pub seed: u64,
    /// "Today" for the data: no booking is created after it.
    pub as_of: NaiveDate,
    /// Number of bookings (about 20,000 by default).
    pub bookings: usize,
}

impl DataConfig {
    /// The default dataset for a seed: as of 2025-06-30, 20,000 bookings.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            as_of: default_as_of(),
            bookings: 20_000,
        }
    }
}

/// The default as-of date, 2025-06-30.
pub fn default_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default()
}

/// The catalog and schema of the dataset.
pub const CATALOG: &str = "main";
/// The schema of the dataset.
pub const SCHEMA: &str = "wanderbricks";

/// The name of a Wanderbricks table.
pub fn table_name(table: &str) -> QualifiedName {
    QualifiedName::new(CATALOG, SCHEMA, table)
}

/// The canonical text of a date: `2024-01-31`.
pub fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The canonical text of a timestamp: `2024-01-31 10:00:00`, or just `2024-01-31` at midnight,
/// so that a timestamp at midnight compares equal to the date and text order is time order.
pub fn timestamp_text(timestamp: NaiveDateTime) -> String {
    let millis = timestamp.and_utc().timestamp_subsec_millis();
    if timestamp.time() == NaiveTime::MIN {
        date_text(timestamp.date())
    } else if millis == 0 {
        timestamp.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        timestamp.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

/// The base ("poor") catalog: the eight tables with their real UC comments and nothing else.
pub fn wanderbricks_catalog() -> Catalog {
    let mut catalog = Catalog::new();
    for table in wanderbricks_tables() {
        // Names are unique by construction, so adding cannot collide.
        let _ = catalog.add_table(table);
    }
    catalog
}

fn col(name: &str, data_type: DataType, comment: &str) -> Column {
    Column::new(name, data_type).with_comment(comment)
}

fn key(name: &str, comment: &str) -> Column {
    col(name, DataType::BigInt, comment).not_null()
}

fn wanderbricks_tables() -> Vec<Table> {
    use DataType::*;
    let money = Decimal {
        precision: 15,
        scale: 4,
    };
    vec![
        Table::new(
            table_name("bookings"),
            vec![
                key("booking_id", "Unique identifier of the booking"),
                col(
                    "user_id",
                    BigInt,
                    "The identifier of the user making the booking",
                ),
                col("property_id", BigInt, "Foreign Key to 'properties'"),
                col("check_in", Date, "Check-in date"),
                col("check_out", Date, "Check-out date"),
                col("guests_count", Int, "Number of guests for booking"),
                col("total_amount", Float, "Total amount paid"),
                col(
                    "status",
                    String,
                    "Status of the booking (e.g., pending, confirmed)",
                ),
                col("created_at", Timestamp, "Date the booking was created"),
                col("updated_at", Timestamp, "Date the booking was last updated"),
            ],
        ),
        Table::new(
            table_name("payments"),
            vec![
                key("payment_id", "Uniquely identifies this payment"),
                col("booking_id", BigInt, "The booking that was paid for"),
                col("amount", money, "The amount paid"),
                col(
                    "payment_method",
                    String,
                    "The method used for payment (e.g., 'credit_card', 'paypal', 'apple_pay', 'google_pay', 'bank_transfer')",
                ),
                col(
                    "status",
                    String,
                    "The status of the payment (e.g., 'pending', 'completed', 'failed', 'refunded')",
                ),
                col("payment_date", Timestamp, "The date the payment was made"),
            ],
        ),
        Table::new(
            table_name("properties"),
            vec![
                key("property_id", "Unique identifier of this property"),
                col(
                    "host_id",
                    BigInt,
                    "The identifier of the host of this property",
                ),
                col("destination_id", BigInt, "Foreign Key to 'destinations'"),
                col("title", String, "Title of the property listing"),
                col("base_price", Float, "Base price for booking"),
                col(
                    "property_type",
                    String,
                    "Type of property (e.g., house, apartment)",
                ),
                col("max_guests", Int, "Maximum number of guests allowed"),
                col("bedrooms", Int, "Number of bedrooms"),
                col("bathrooms", Int, "Number of bathrooms"),
                col("created_at", Date, "Date the property was listed"),
            ],
        ),
        Table::new(
            table_name("hosts"),
            vec![
                key("host_id", "Unique identifier of the host"),
                col("name", String, "Host's full name"),
                col("is_verified", Boolean, "Verification status of the host"),
                col("is_active", Boolean, "Active status of the host"),
                col("rating", Float, "Host rating (1.0-5.0)"),
                col("country", String, "Host's country of residence"),
                col("joined_at", Date, "Date the host joined"),
            ],
        ),
        Table::new(
            table_name("destinations"),
            vec![
                key("destination_id", "Primary Key"),
                col("destination", String, "Name of the destination"),
                col("country", String, "Name of the country"),
                col(
                    "state_or_province",
                    String,
                    "The name of the state, province or region the destination is located in",
                ),
                col(
                    "state_or_province_code",
                    String,
                    "The code of the state, province or region the destination is located in",
                ),
            ],
        ),
        Table::new(
            table_name("users"),
            vec![
                key("user_id", "Unique identifier of the user"),
                col("name", String, "Name of the user."),
                col("country", String, "Country of residence."),
                col(
                    "user_type",
                    String,
                    "Type of user (e.g., individual or business).",
                ),
                col(
                    "is_business",
                    Boolean,
                    "Boolean indicating if the user is a business.",
                ),
                col(
                    "company_name",
                    String,
                    "Name of the company (if user is a business).",
                ),
                col("created_at", Timestamp, "Account creation date."),
            ],
        ),
        Table::new(
            table_name("reviews"),
            vec![
                key("review_id", "Uniquely identifies this review"),
                col("booking_id", BigInt, "The booking that was reviewed"),
                col("property_id", BigInt, "The property that was reviewed"),
                col("user_id", BigInt, "The user that wrote the review"),
                col("rating", Double, "The rating given by the user (1.0-5.0)"),
                col("comment", String, "User's review comment"),
                col("is_deleted", Boolean, "Whether the review was deleted"),
                col("created_at", Timestamp, "The date the review was created"),
            ],
        ),
        Table::new(
            table_name("countries"),
            vec![
                col("country", String, "The name of the country (Primary Key").not_null(),
                col("country_code", String, "The ISO country code (2-letter)"),
                col(
                    "continent",
                    String,
                    "The continent the country is located in",
                ),
            ],
        ),
    ]
}

/// (country, ISO code, continent, weight as a travel destination, weight as a home country).
const COUNTRIES: &[(&str, &str, &str, f64, f64)] = &[
    ("United States", "US", "North America", 0.0, 40.0),
    ("Canada", "CA", "North America", 0.0, 8.0),
    ("Mexico", "MX", "North America", 0.0, 4.0),
    ("United Kingdom", "GB", "Europe", 0.0, 10.0),
    ("France", "FR", "Europe", 0.0, 7.0),
    ("Italy", "IT", "Europe", 0.0, 5.0),
    ("Spain", "ES", "Europe", 0.0, 5.0),
    ("Germany", "DE", "Europe", 0.0, 8.0),
    ("Japan", "JP", "Asia", 0.0, 5.0),
    ("Thailand", "TH", "Asia", 0.0, 1.5),
    ("India", "IN", "Asia", 0.0, 3.0),
    ("Australia", "AU", "Oceania", 0.0, 4.0),
    ("Brazil", "BR", "South America", 0.0, 3.0),
    ("South Africa", "ZA", "Africa", 0.0, 1.5),
];

/// (destination, country, state or province, its code, popularity weight).
const DESTINATIONS: &[(&str, &str, &str, &str, f64)] = &[
    ("San Francisco", "United States", "California", "CA", 5.0),
    ("Los Angeles", "United States", "California", "CA", 6.0),
    ("San Diego", "United States", "California", "CA", 4.0),
    ("New York City", "United States", "New York", "NY", 8.0),
    ("Miami", "United States", "Florida", "FL", 6.0),
    ("Orlando", "United States", "Florida", "FL", 4.0),
    ("Austin", "United States", "Texas", "TX", 3.0),
    ("Honolulu", "United States", "Hawaii", "HI", 4.0),
    ("Aspen", "United States", "Colorado", "CO", 2.0),
    ("Denver", "United States", "Colorado", "CO", 2.0),
    ("Seattle", "United States", "Washington", "WA", 3.0),
    ("Chicago", "United States", "Illinois", "IL", 3.0),
    ("New Orleans", "United States", "Louisiana", "LA", 3.0),
    ("Las Vegas", "United States", "Nevada", "NV", 4.0),
    ("Boston", "United States", "Massachusetts", "MA", 3.0),
    ("Toronto", "Canada", "Ontario", "ON", 3.0),
    ("Vancouver", "Canada", "British Columbia", "BC", 3.0),
    ("Montreal", "Canada", "Quebec", "QC", 2.0),
    ("Cancun", "Mexico", "Quintana Roo", "ROO", 4.0),
    ("Mexico City", "Mexico", "Mexico City", "CMX", 2.0),
    ("London", "United Kingdom", "England", "ENG", 7.0),
    ("Edinburgh", "United Kingdom", "Scotland", "SCT", 2.0),
    ("Paris", "France", "Ile-de-France", "IDF", 7.0),
    ("Nice", "France", "Provence-Alpes-Cote d'Azur", "PAC", 3.0),
    ("Rome", "Italy", "Lazio", "62", 5.0),
    ("Florence", "Italy", "Tuscany", "52", 3.0),
    ("Barcelona", "Spain", "Catalonia", "CT", 5.0),
    ("Madrid", "Spain", "Community of Madrid", "MD", 3.0),
    ("Berlin", "Germany", "Berlin", "BE", 3.0),
    ("Munich", "Germany", "Bavaria", "BY", 2.0),
    ("Tokyo", "Japan", "Tokyo", "13", 5.0),
    ("Kyoto", "Japan", "Kyoto", "26", 3.0),
    ("Bangkok", "Thailand", "Bangkok", "10", 3.0),
    ("Phuket", "Thailand", "Phuket", "83", 3.0),
    ("Sydney", "Australia", "New South Wales", "NSW", 4.0),
    ("Melbourne", "Australia", "Victoria", "VIC", 2.0),
    ("Rio de Janeiro", "Brazil", "Rio de Janeiro", "RJ", 3.0),
    ("Cape Town", "South Africa", "Western Cape", "WC", 2.0),
];

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Sophie",
    "Lucas",
    "Emma",
    "Hugo",
    "Chloe",
    "Luca",
    "Giulia",
    "Mateo",
    "Lucia",
    "Hannah",
    "Felix",
    "Yuki",
    "Haruto",
    "Aiko",
    "Priya",
    "Arjun",
    "Olivia",
    "Noah",
    "Isla",
    "Jack",
    "Camila",
    "Thiago",
    "Anong",
    "Somchai",
    "Thabo",
    "Naledi",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martin",
    "Bernard",
    "Rossi",
    "Bianchi",
    "Fernandez",
    "Lopez",
    "Muller",
    "Schmidt",
    "Tanaka",
    "Sato",
    "Sharma",
    "Patel",
    "Wilson",
    "Taylor",
    "Silva",
    "Santos",
    "Nguyen",
    "Dlamini",
    "Clarke",
];

const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Travel",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Industries",
    "Soylent Co",
    "Cyberdyne Systems",
];

/// (property type, weight, base nightly price, guests range).
const PROPERTY_TYPES: &[(&str, f64, f64, (i64, i64))] = &[
    ("apartment", 45.0, 120.0, (1, 4)),
    ("house", 30.0, 210.0, (2, 8)),
    ("villa", 10.0, 480.0, (4, 12)),
    ("cabin", 15.0, 150.0, (2, 6)),
];

const ADJECTIVES: &[&str] = &[
    "Cozy", "Sunny", "Modern", "Charming", "Spacious", "Quiet", "Stylish", "Rustic", "Bright",
    "Elegant",
];

const REVIEW_COMMENTS: &[(&str, f64)] = &[
    ("Terrible stay, would not recommend.", 1.0),
    ("Not as described and quite noisy.", 2.0),
    ("It was okay for the price.", 3.0),
    ("Good location, clean and comfortable.", 4.0),
    ("Lovely place and a very helpful host.", 4.5),
    ("Amazing stay, everything was perfect!", 5.0),
];

/// Relative booking demand per calendar month (summer and December peaks).
const MONTH_SEASONALITY: [f64; 12] = [
    0.8, 0.75, 0.9, 0.95, 1.05, 1.3, 1.45, 1.4, 1.0, 0.9, 0.85, 1.2,
];

const PAYMENT_METHODS: &[(&str, f64)] = &[
    ("credit_card", 55.0),
    ("paypal", 18.0),
    ("apple_pay", 10.0),
    ("google_pay", 7.0),
    ("bank_transfer", 10.0),
];

/// Generates the whole dataset; the same config always gives identical data.
pub fn generate(config: &DataConfig) -> Dataset {
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let as_of = config.as_of.max(start + Duration::days(30));
    let countries = countries_rows();
    let destinations = destination_rows();
    let hosts = generate_hosts(config.seed, as_of);
    let properties = generate_properties(config.seed, &hosts, as_of);
    let users = generate_users(config.seed, as_of);
    let bookings = generate_bookings(config, start, as_of, &properties, &users);
    let payments = generate_payments(config.seed, &bookings, as_of);
    let reviews = generate_reviews(config.seed, &bookings, as_of);
    let table = |name: &str, rows: Vec<Vec<Value>>| TableData {
        name: table_name(name),
        rows,
    };
    Dataset {
        tables: vec![
            table("bookings", bookings.iter().map(Booking::row).collect()),
            table("payments", payments),
            table("properties", properties.iter().map(Property::row).collect()),
            table("hosts", hosts.iter().map(Host::row).collect()),
            table("destinations", destinations),
            table("users", users.iter().map(User::row).collect()),
            table("reviews", reviews),
            table("countries", countries),
        ],
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn countries_rows() -> Vec<Vec<Value>> {
    COUNTRIES
        .iter()
        .map(|(name, code, continent, _, _)| vec![text(name), text(code), text(continent)])
        .collect()
}

fn destination_rows() -> Vec<Vec<Value>> {
    DESTINATIONS
        .iter()
        .enumerate()
        .map(|(index, (name, country, state, code, _))| {
            vec![
                Value::Int(index as i64 + 1),
                text(name),
                text(country),
                text(state),
                text(code),
            ]
        })
        .collect()
}

fn person_name(rng: &mut SplitMix64) -> String {
    let first = rng.pick(FIRST_NAMES).copied().unwrap_or("Alex");
    let last = rng.pick(LAST_NAMES).copied().unwrap_or("Doe");
    format!("{first} {last}")
}

fn home_country(rng: &mut SplitMix64) -> &'static str {
    let weights: Vec<f64> = COUNTRIES.iter().map(|country| country.4).collect();
    COUNTRIES
        .get(rng.weighted_index(&weights))
        .map_or("United States", |country| country.0)
}

fn random_date(rng: &mut SplitMix64, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    from + Duration::days(rng.range(0, (to - from).num_days()))
}

fn random_time(rng: &mut SplitMix64, date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(rng.range(1, 86_399))
}

struct Host {
    id: i64,
    name: String,
    verified: bool,
    active: bool,
    rating: f64,
    country: &'static str,
    joined_at: NaiveDate,
}

impl Host {
    fn row(&self) -> Vec<Value> {
        vec![
            Value::Int(self.id),
            text(&self.name),
            Value::Bool(self.verified),
            Value::Bool(self.active),
            Value::Real(self.rating),
            text(self.country),
            Value::Date(self.joined_at),
        ]
    }
}

fn generate_hosts(seed: u64, as_of: NaiveDate) -> Vec<Host> {
    let mut rng = SplitMix64::derive(seed, "hosts");
    let from = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default();
    let to = as_of - Duration::days(180);
    (1..=300)
        .map(|id| {
            let rating_roll = rng.next_f64();
            let rating = if rating_roll < 0.25 {
                rng.range_f64(4.8, 5.0)
            } else {
                rng.range_f64(3.0, 4.8)
            };
            Host {
                id,
                name: person_name(&mut rng),
                verified: rng.chance(0.7),
                active: rng.chance(0.9),
                rating: (rating * 10.0).round() / 10.0,
                country: home_country(&mut rng),
                joined_at: random_date(&mut rng, from, to),
            }
        })
        .collect()
}

struct Property {
    id: i64,
    host_id: i64,
    destination_id: i64,
    title: String,
    base_price: f64,
    property_type: &'static str,
    max_guests: i64,
    bedrooms: i64,
    bathrooms: i64,
    created_at: NaiveDate,
}

impl Property {
    fn row(&self) -> Vec<Value> {
        vec![
            Value::Int(self.id),
            Value::Int(self.host_id),
            Value::Int(self.destination_id),
            text(&self.title),
            Value::Real(self.base_price),
            text(self.property_type),
            Value::Int(self.max_guests),
            Value::Int(self.bedrooms),
            Value::Int(self.bathrooms),
            Value::Date(self.created_at),
        ]
    }
}

fn generate_properties(seed: u64, hosts: &[Host], as_of: NaiveDate) -> Vec<Property> {
    let mut rng = SplitMix64::derive(seed, "properties");
    // A few hosts own many listings: weight host i by 1/(i+1)^0.8 over a shuffled order.
    let host_weights: Vec<f64> = (0..hosts.len())
        .map(|i| 1.0 / ((i + 1) as f64).powf(0.8))
        .collect();
    let destination_weights: Vec<f64> = DESTINATIONS.iter().map(|d| d.4).collect();
    let type_weights: Vec<f64> = PROPERTY_TYPES.iter().map(|t| t.1).collect();
    (1..=1200)
        .map(|id| {
            let host = &hosts[rng.weighted_index(&host_weights).min(hosts.len() - 1)];
            let destination_index = rng.weighted_index(&destination_weights);
            let destination = DESTINATIONS.get(destination_index).map_or("Paris", |d| d.0);
            let (kind, _, price, (min_guests, max_guests)) = PROPERTY_TYPES
                .get(rng.weighted_index(&type_weights))
                .copied()
                .unwrap_or(PROPERTY_TYPES[0]);
            let guests = rng.range(min_guests, max_guests);
            let bedrooms = ((guests + 1) / 2).max(1);
            let adjective = rng.pick(ADJECTIVES).copied().unwrap_or("Cozy");
            let created_from = host
                .joined_at
                .max(NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default());
            Property {
                id,
                host_id: host.id,
                destination_id: destination_index as i64 + 1,
                title: format!("{adjective} {kind} in {destination}"),
                base_price: round2(price * rng.range_f64(0.6, 1.6)),
                property_type: kind,
                max_guests: guests,
                bedrooms,
                bathrooms: (bedrooms + rng.range(0, 1)) / 2 + 1,
                created_at: random_date(
                    &mut rng,
                    created_from,
                    (as_of - Duration::days(90)).max(created_from),
                ),
            }
        })
        .collect()
}

struct User {
    id: i64,
    name: String,
    country: &'static str,
    company: Option<&'static str>,
    created_at: NaiveDateTime,
}

impl User {
    fn row(&self) -> Vec<Value> {
        let business = self.company.is_some();
        vec![
            Value::Int(self.id),
            text(&self.name),
            text(self.country),
            text(if business { "business" } else { "individual" }),
            Value::Bool(business),
            self.company.map_or(Value::Null, text),
            Value::Timestamp(self.created_at),
        ]
    }
}

/// Users come sorted by creation time, ids ascending, so "users created before t" is a prefix.
fn generate_users(seed: u64, as_of: NaiveDate) -> Vec<User> {
    let mut rng = SplitMix64::derive(seed, "users");
    let from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let mut created: Vec<NaiveDateTime> = (0..5000)
        .map(|_| {
            let date = random_date(&mut rng, from, as_of);
            random_time(&mut rng, date)
        })
        .collect();
    created.sort();
    created
        .into_iter()
        .enumerate()
        .map(|(index, created_at)| User {
            id: index as i64 + 1,
            name: person_name(&mut rng),
            country: home_country(&mut rng),
            company: if rng.chance(0.12) {
                rng.pick(COMPANIES).copied()
            } else {
                None
            },
            created_at,
        })
        .collect()
}

struct Booking {
    id: i64,
    user_id: i64,
    property_id: i64,
    check_in: NaiveDate,
    check_out: NaiveDate,
    guests: i64,
    total_amount: f64,
    status: &'static str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Booking {
    fn row(&self) -> Vec<Value> {
        vec![
            Value::Int(self.id),
            Value::Int(self.user_id),
            Value::Int(self.property_id),
            Value::Date(self.check_in),
            Value::Date(self.check_out),
            Value::Int(self.guests),
            Value::Real(self.total_amount),
            text(self.status),
            Value::Timestamp(self.created_at),
            Value::Timestamp(self.updated_at),
        ]
    }
}

/// Booking creation days weighted by growth over time and by the season of the stay.
fn creation_day_weights(start: NaiveDate, as_of: NaiveDate) -> Vec<f64> {
    let days = (as_of - start).num_days().max(1);
    (0..=days)
        .map(|offset| {
            let day = start + Duration::days(offset);
            let growth = 1.0 + 0.6 * offset as f64 / days as f64;
            let month = (day + Duration::days(30)).month0() as usize;
            growth * MONTH_SEASONALITY.get(month).copied().unwrap_or(1.0)
        })
        .collect()
}

fn generate_bookings(
    config: &DataConfig,
    start: NaiveDate,
    as_of: NaiveDate,
    properties: &[Property],
    users: &[User],
) -> Vec<Booking> {
    let mut rng = SplitMix64::derive(config.seed, "bookings");
    let weights = creation_day_weights(start, as_of);
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |sum, weight| {
            *sum += weight;
            Some(*sum)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(1.0);
    let property_cumulative: Vec<f64> = properties
        .iter()
        .scan(0.0, |sum, _| {
            *sum += rng.range_f64(0.2, 2.0);
            Some(*sum)
        })
        .collect();
    let property_total = property_cumulative.last().copied().unwrap_or(1.0);
    let mut bookings: Vec<Booking> = (0..config.bookings)
        .map(|_| {
            let target = rng.next_f64() * total;
            let offset = cumulative.partition_point(|sum| *sum < target);
            let created_at = random_time(&mut rng, start + Duration::days(offset as i64));
            let pick = rng.next_f64() * property_total;
            let index = property_cumulative.partition_point(|sum| *sum < pick);
            let property = &properties[index.min(properties.len() - 1)];
            new_booking(&mut rng, created_at, property, users, as_of)
        })
        .collect();
    bookings.sort_by_key(|booking| booking.created_at);
    for (index, booking) in bookings.iter_mut().enumerate() {
        booking.id = index as i64 + 1;
    }
    bookings
}

fn new_booking(
    rng: &mut SplitMix64,
    created_at: NaiveDateTime,
    property: &Property,
    users: &[User],
    as_of: NaiveDate,
) -> Booking {
    let registered = users
        .partition_point(|user| user.created_at <= created_at)
        .max(1);
    let user_id = rng.range(1, registered as i64);
    let lead_days = (rng.next_f64().powi(2) * 120.0) as i64 + 1;
    let check_in = created_at.date() + Duration::days(lead_days);
    let nights = 1 + (rng.next_f64().powi(2) * 13.0) as i64;
    let season = MONTH_SEASONALITY
        .get(check_in.month0() as usize)
        .copied()
        .unwrap_or(1.0);
    let cleaning_fee = round2(property.base_price * 0.15);
    let total_amount =
        round2(property.base_price * nights as f64 * (0.85 + 0.25 * season) + cleaning_fee);
    let status = if rng.chance(0.15) {
        "cancelled"
    } else if check_in > as_of || rng.chance(0.03) {
        "pending"
    } else {
        "confirmed"
    };
    let updated_at = if status == "cancelled" {
        created_at + Duration::hours(rng.range(1, 24 * 20))
    } else {
        created_at + Duration::minutes(rng.range(0, 600))
    };
    let latest = as_of.and_hms_opt(23, 59, 59).unwrap_or_default();
    Booking {
        id: 0,
        user_id,
        property_id: property.id,
        check_in,
        check_out: check_in + Duration::days(nights),
        guests: rng.range(1, property.max_guests),
        total_amount,
        status,
        created_at,
        updated_at: updated_at.min(latest).max(created_at),
    }
}

fn payment_method(rng: &mut SplitMix64) -> &'static str {
    let weights: Vec<f64> = PAYMENT_METHODS.iter().map(|method| method.1).collect();
    PAYMENT_METHODS
        .get(rng.weighted_index(&weights))
        .map_or("credit_card", |method| method.0)
}

/// One payment per booking, except failed attempts that are retried and bookings never paid;
/// refunds and partial refunds make `payments.amount` differ from `bookings.total_amount`.
fn generate_payments(seed: u64, bookings: &[Booking], as_of: NaiveDate) -> Vec<Vec<Value>> {
    let mut rng = SplitMix64::derive(seed, "payments");
    let latest = as_of.and_hms_opt(23, 59, 59).unwrap_or_default();
    let mut rows = Vec::with_capacity(bookings.len() + bookings.len() / 20);
    let mut push =
        |rng: &mut SplitMix64, booking: &Booking, amount: f64, status: &str, delay: (i64, i64)| {
            let minutes = rng.range(delay.0, delay.1);
            let when = (booking.created_at + Duration::minutes(minutes)).min(latest);
            rows.push(vec![
                Value::Int(rows.len() as i64 + 1),
                Value::Int(booking.id),
                Value::Real(round2(amount)),
                text(payment_method(rng)),
                text(status),
                Value::Timestamp(when),
            ]);
        };
    for booking in bookings {
        let amount = booking.total_amount;
        match booking.status {
            "confirmed" => {
                if rng.chance(0.03) {
                    push(&mut rng, booking, amount, "failed", (1, 30));
                }
                if rng.chance(0.04) {
                    let partial = amount * rng.range_f64(0.2, 0.6);
                    push(&mut rng, booking, partial, "refunded", (60, 5000));
                } else {
                    push(&mut rng, booking, amount, "completed", (31, 120));
                }
            }
            "cancelled" if rng.chance(0.7) => {
                push(&mut rng, booking, amount, "refunded", (60, 20_000));
            }
            "pending" if rng.chance(0.6) => {
                push(&mut rng, booking, amount, "pending", (1, 120));
            }
            _ => {}
        }
    }
    rows
}

/// Reviews for about 45% of past confirmed stays; about 4% are soft-deleted.
fn generate_reviews(seed: u64, bookings: &[Booking], as_of: NaiveDate) -> Vec<Vec<Value>> {
    let mut rng = SplitMix64::derive(seed, "reviews");
    let mut rows = Vec::new();
    for booking in bookings {
        if booking.status != "confirmed" || !rng.chance(0.45) {
            continue;
        }
        let delay = Duration::days(rng.range(0, 20));
        let created = random_time(&mut rng, booking.check_out + delay);
        if created.date() > as_of {
            continue;
        }
        let stars = [1.0, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0];
        let star_weights = [0.04, 0.05, 0.1, 0.08, 0.28, 0.2, 0.25];
        let rating = stars
            .get(rng.weighted_index(&star_weights))
            .copied()
            .unwrap_or(4.0);
        let comment = REVIEW_COMMENTS
            .iter()
            .min_by(|a, b| (a.1 - rating).abs().total_cmp(&(b.1 - rating).abs()))
            .map_or("Nice.", |entry| entry.0);
        rows.push(vec![
            Value::Int(rows.len() as i64 + 1),
            Value::Int(booking.id),
            Value::Int(booking.property_id),
            Value::Int(booking.user_id),
            Value::Real(rating),
            text(comment),
            Value::Bool(rng.chance(0.04)),
            Value::Timestamp(created),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> DataConfig {
        DataConfig {
            bookings: 2000,
            ..DataConfig::new(7)
        }
    }

    #[test]
    fn the_same_seed_gives_identical_data() {
        assert_eq!(
            generate(&small()).fingerprint(),
            generate(&small()).fingerprint()
        );
        let other = DataConfig { seed: 8, ..small() };
        assert_ne!(
            generate(&small()).fingerprint(),
            generate(&other).fingerprint()
        );
    }

    #[test]
    fn every_row_matches_its_catalog_table() {
        let catalog = wanderbricks_catalog();
        let data = generate(&small());
        assert_eq!(data.tables.len(), 8);
        for table in &data.tables {
            let columns = catalog.table(&table.name).map(|t| t.columns.len());
            assert!(
                table.rows.iter().all(|row| Some(row.len()) == columns),
                "{}",
                table.name
            );
            assert!(!table.rows.is_empty(), "{}", table.name);
        }
    }

    #[test]
    fn bookings_stay_inside_the_window_and_some_are_cancelled() {
        let config = small();
        let data = generate(&config);
        let bookings = data.table(&table_name("bookings")).unwrap();
        let cancelled = bookings
            .rows
            .iter()
            .filter(|row| row[7] == text("cancelled"))
            .count();
        let share = cancelled as f64 / bookings.rows.len() as f64;
        assert!((0.1..0.2).contains(&share), "cancelled share {share}");
        for row in &bookings.rows {
            let Value::Timestamp(created) = &row[8] else {
                panic!("created_at is a timestamp")
            };
            assert!(created.date() <= config.as_of);
        }
    }

    #[test]
    fn midnight_timestamps_print_as_dates() {
        let date = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(
            timestamp_text(date.and_hms_opt(0, 0, 0).unwrap()),
            "2024-01-31"
        );
        assert_eq!(
            timestamp_text(date.and_hms_opt(10, 5, 0).unwrap()),
            "2024-01-31 10:05:00"
        );
    }
}
