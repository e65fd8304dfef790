"""Write examples/demo/ (config, declared model, HR feed) from the demo company (run after
changing pipelines/demo/estate.py; a test fails until you do)."""

from pipelines.demo.estate import EXAMPLES, write_examples

if __name__ == "__main__":
    write_examples()
    print(f"wrote {EXAMPLES}")
