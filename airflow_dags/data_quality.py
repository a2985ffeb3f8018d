"""data_quality

Clean a month of orders, check them, and report revenue: data quality with Hamilton's decorators.

`raw_orders` reads the CSV shipped with the example (a few dozen made-up orders, with the
faults a real export has: duplicated rows, cancelled and returned orders, stray spaces and
capitals, a missing price, one bulk order of 120 units). The cleaning steps are written as
small private functions and chained onto `orders` with `@pipe_input`; `@extract_columns`
then makes each column a node of its own.

The checks are nodes too, so a run returns their results beside the metrics:

- `@check_output(range=..., importance="warn", target_="quantity")` flags unusual order sizes
  (the bulk order fails it: the run logs a warning and goes on);
- `@check_output(data_type=..., allow_nans=False, importance="fail")` on `amount` stops the run
  if cleaning ever lets through an order without a price;
- `@check_output_custom(MaxShareValidator(...))` is a validator of our own: it warns when one
  region or customer holds too large a share of revenue.

Each check adds a `<node>_<check>_validator` node whose value is a `ValidationResult`.
`@config.when` chooses whether amounts are converted to US dollars (`convert_currency`),
`@parameterize` makes one revenue breakdown per key from one function, `@does` reuses a
plain ratio function for the average order value, and `@tag` labels nodes for owners and
catalogs (tags named `airflow_<setting>` would also become Airflow task settings).

Compiled by hamilflow: 28 tasks computing total_revenue, order_count, average_order_value, revenue_by_region, revenue_by_customer, quantity_range_validator, amount_data_type_validator, amount_allow_nans_validator, revenue_by_region_max_share_validator, revenue_by_customer_max_share_validator.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""  # noqa: E501

# Compiled by hamilflow from examples.data_quality.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, TaskGroup, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "data_quality",
    "modules": ["examples.data_quality.pipeline"],
    "final_vars": [
        "total_revenue",
        "order_count",
        "average_order_value",
        "revenue_by_region",
        "revenue_by_customer",
        "quantity_range_validator",
        "amount_data_type_validator",
        "amount_allow_nans_validator",
        "revenue_by_region_max_share_validator",
        "revenue_by_customer_max_share_validator",
    ],
    "fingerprint": "c3df0b6460c8f8a3",
    "config": {"convert_currency": True},
    "grouping": "default",
    "store_url": None,
    "params": ["orders_file"],
    "context_inputs": [],
    "chunking": {},
    "function_defaults": {"orders_file": "orders.csv"},
    "compile_options": {
        "params": {},
        "schedule": None,
        "start_date": "2024-01-01",
        "catchup": False,
        "retries": None,
        "items_per_task": None,
        "tags": ["hamilflow"],
    },
}
pipeline = CompiledPipeline(SPEC)


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["hamilflow"],
    params={"orders_file": Param("orders.csv", type="string", description="input of raw_orders (str)")},
    doc_md=__doc__,
)
def data_quality():
    orders_group = TaskGroup(group_id="orders")

    @task(
        doc_md=(
            "The orders export as it arrives, read from the example's folder.\n\n"
            "**raw_orders** (DataFrame) — `examples.data_quality.pipeline.raw_orders`"
        ),
    )
    def raw_orders():
        # Reads orders_file (param).
        pipeline.run("raw_orders")

    @task(
        task_id="deduplicated",
        task_group=orders_group,
        doc_md=(
            "Keep the first row of each order id (the export repeats some rows).\n\n"
            "**orders.deduplicated** (DataFrame) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def orders_deduplicated():
        # Reads raw_orders.
        pipeline.run("orders.deduplicated")

    @task(
        task_id="kept",
        task_group=orders_group,
        doc_md=(
            "Keep orders whose status counts as revenue.\n\n"
            "**orders.kept** (DataFrame) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def orders_kept():
        # Reads orders.deduplicated.
        pipeline.run("orders.kept")

    @task(
        task_id="tidied",
        task_group=orders_group,
        doc_md=(
            "Trim and normalise the case of customer names, regions and currency codes.\n\n"
            "**orders.tidied** (DataFrame) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def orders_tidied():
        # Reads orders.kept.
        pipeline.run("orders.tidied")

    @task(
        task_id="priced",
        task_group=orders_group,
        doc_md=(
            "Drop orders without a unit price: they cannot be valued.\n\n"
            "**orders.priced** (DataFrame) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def orders_priced():
        # Reads orders.tidied.
        pipeline.run("orders.priced")

    @task(
        task_group=orders_group,
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**orders** (DataFrame) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def orders():
        # Reads orders.priced.
        pipeline.run("orders")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**quantity_raw** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def quantity_raw():
        # Reads orders.
        pipeline.run("quantity_raw")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**order_id** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def order_id():
        # Reads orders.
        pipeline.run("order_id")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**customer** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def customer():
        # Reads orders.
        pipeline.run("customer")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**region** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def region():
        # Reads orders.
        pipeline.run("region")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**unit_price** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def unit_price():
        # Reads orders.
        pipeline.run("unit_price")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**currency** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def currency():
        # Reads orders.
        pipeline.run("currency")

    @task(
        doc_md=(
            "Validates that the datapoint falls within the range (1, 100)\n\n"
            "**quantity_range_validator** (ValidationResult) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def quantity_range_validator():
        # Reads quantity_raw.
        pipeline.run("quantity_range_validator")

    @task(doc_md="How many orders were kept.\n\n**order_count** (int) — `examples.data_quality.pipeline.order_count`")
    def order_count():
        # Reads order_id.
        pipeline.run("order_count")

    @task(
        doc_md=(
            "US dollars per unit of each order's currency.\n\n"
            "**usd_rate** (Series) — `examples.data_quality.pipeline.usd_rate__converted`"
        ),
    )
    def usd_rate():
        # Reads currency.
        pipeline.run("usd_rate")

    @task(
        doc_md=(
            "Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n"
            "**quantity** (Series) — `examples.data_quality.pipeline.orders`"
        ),
    )
    def quantity():
        # Reads quantity_raw, quantity_range_validator.
        pipeline.run("quantity")

    @task(
        doc_md=(
            "Each order's value; every kept order must have one.\n\n"
            "**amount_raw** (Series) — `examples.data_quality.pipeline.amount`"
        ),
    )
    def amount_raw():
        # Reads quantity, unit_price, usd_rate.
        pipeline.run("amount_raw")

    @task(
        doc_md=(
            "Validates that the datatype of the pandas series is a subclass of: <class 'numpy.float64'>\n\n"
            "**amount_data_type_validator** (ValidationResult) — `examples.data_quality.pipeline.amount`"
        ),
    )
    def amount_data_type_validator():
        # Reads amount_raw.
        pipeline.run("amount_data_type_validator")

    @task(
        doc_md=(
            "Validates that no more than 0.00% of the data is Nan.\n\n"
            "**amount_allow_nans_validator** (ValidationResult) — `examples.data_quality.pipeline.amount`"
        ),
    )
    def amount_allow_nans_validator():
        # Reads amount_raw.
        pipeline.run("amount_allow_nans_validator")

    @task(
        doc_md=(
            "Each order's value; every kept order must have one.\n\n"
            "**amount** (Series) — `examples.data_quality.pipeline.amount`"
        ),
    )
    def amount():
        # Reads amount_raw, amount_data_type_validator, amount_allow_nans_validator.
        pipeline.run("amount")

    @task(
        doc_md=(
            "Revenue per region, largest first.\n\n"
            "**revenue_by_region_raw** (Series) — `examples.data_quality.pipeline.revenue_by`"
        ),
    )
    def revenue_by_region_raw():
        # Reads amount, region.
        pipeline.run("revenue_by_region_raw")

    @task(
        doc_md=(
            "Revenue per customer, largest first.\n\n"
            "**revenue_by_customer_raw** (Series) — `examples.data_quality.pipeline.revenue_by`"
        ),
    )
    def revenue_by_customer_raw():
        # Reads amount, customer.
        pipeline.run("revenue_by_customer_raw")

    @task(
        doc_md=(
            "Revenue of all kept orders.\n\n**total_revenue** (float) — `examples.data_quality.pipeline.total_revenue`"
        ),
    )
    def total_revenue():
        # Reads amount.
        pipeline.run("total_revenue")

    @task(
        doc_md=(
            "No single entry holds more than 60% of the total.\n\n"
            "**revenue_by_region_max_share_validator** (ValidationResult) — `examples.data_quality.pipeline.revenue_by`"
        ),
    )
    def revenue_by_region_max_share_validator():
        # Reads revenue_by_region_raw.
        pipeline.run("revenue_by_region_max_share_validator")

    @task(
        doc_md=(
            "No single entry holds more than 60% of the total.\n\n"
            "**revenue_by_customer_max_share_validator** (ValidationResult) — "
            "`examples.data_quality.pipeline.revenue_by`"
        ),
    )
    def revenue_by_customer_max_share_validator():
        # Reads revenue_by_customer_raw.
        pipeline.run("revenue_by_customer_max_share_validator")

    @task(
        doc_md=(
            "Revenue per kept order.\n\n"
            "**average_order_value** (float) — `examples.data_quality.pipeline.average_order_value`"
        ),
    )
    def average_order_value():
        # Reads total_revenue, order_count.
        pipeline.run("average_order_value")

    @task(
        doc_md=(
            "Revenue per region, largest first.\n\n"
            "**revenue_by_region** (Series) — `examples.data_quality.pipeline.revenue_by`"
        ),
    )
    def revenue_by_region():
        # Reads revenue_by_region_raw, revenue_by_region_max_share_validator.
        pipeline.run("revenue_by_region")

    @task(
        doc_md=(
            "Revenue per customer, largest first.\n\n"
            "**revenue_by_customer** (Series) — `examples.data_quality.pipeline.revenue_by`"
        ),
    )
    def revenue_by_customer():
        # Reads revenue_by_customer_raw, revenue_by_customer_max_share_validator.
        pipeline.run("revenue_by_customer")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    raw_orders_task = raw_orders()
    orders_deduplicated_task = orders_deduplicated()
    orders_kept_task = orders_kept()
    orders_tidied_task = orders_tidied()
    orders_priced_task = orders_priced()
    orders_task = orders()
    quantity_raw_task = quantity_raw()
    order_id_task = order_id()
    customer_task = customer()
    region_task = region()
    unit_price_task = unit_price()
    currency_task = currency()
    quantity_range_validator_task = quantity_range_validator()
    order_count_task = order_count()
    usd_rate_task = usd_rate()
    quantity_task = quantity()
    amount_raw_task = amount_raw()
    amount_data_type_validator_task = amount_data_type_validator()
    amount_allow_nans_validator_task = amount_allow_nans_validator()
    amount_task = amount()
    revenue_by_region_raw_task = revenue_by_region_raw()
    revenue_by_customer_raw_task = revenue_by_customer_raw()
    total_revenue_task = total_revenue()
    revenue_by_region_max_share_validator_task = revenue_by_region_max_share_validator()
    revenue_by_customer_max_share_validator_task = revenue_by_customer_max_share_validator()
    average_order_value_task = average_order_value()
    revenue_by_region_task = revenue_by_region()
    revenue_by_customer_task = revenue_by_customer()

    # Each task after the tasks whose results it reads.
    raw_orders_task >> orders_deduplicated_task
    orders_deduplicated_task >> orders_kept_task
    orders_kept_task >> orders_tidied_task
    orders_tidied_task >> orders_priced_task
    orders_priced_task >> orders_task
    orders_task >> quantity_raw_task
    orders_task >> order_id_task
    orders_task >> customer_task
    orders_task >> region_task
    orders_task >> unit_price_task
    orders_task >> currency_task
    quantity_raw_task >> quantity_range_validator_task
    order_id_task >> order_count_task
    currency_task >> usd_rate_task
    [quantity_raw_task, quantity_range_validator_task] >> quantity_task
    [quantity_task, unit_price_task, usd_rate_task] >> amount_raw_task
    amount_raw_task >> amount_data_type_validator_task
    amount_raw_task >> amount_allow_nans_validator_task
    [amount_raw_task, amount_data_type_validator_task, amount_allow_nans_validator_task] >> amount_task
    [amount_task, region_task] >> revenue_by_region_raw_task
    [amount_task, customer_task] >> revenue_by_customer_raw_task
    amount_task >> total_revenue_task
    revenue_by_region_raw_task >> revenue_by_region_max_share_validator_task
    revenue_by_customer_raw_task >> revenue_by_customer_max_share_validator_task
    [total_revenue_task, order_count_task] >> average_order_value_task
    [revenue_by_region_raw_task, revenue_by_region_max_share_validator_task] >> revenue_by_region_task
    [revenue_by_customer_raw_task, revenue_by_customer_max_share_validator_task] >> revenue_by_customer_task


data_quality_dag = data_quality()
