"""Renders text lines black on white with Pillow and writes the PNG to stdout.

Usage: render.py FONT_PATH SIZE LINE [LINE ...]  (lines stacked top to bottom, 1.6 x SIZE apart)
"""
import io
import sys

from PIL import Image, ImageDraw, ImageFont

font_path, size, lines = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
font = ImageFont.truetype(font_path, size)
pad = size
step = int(size * 1.6)
width = max(int(font.getlength(line)) for line in lines) + 2 * pad
height = step * (len(lines) - 1) + size + 2 * pad
image = Image.new("RGB", (width, height), "white")
draw = ImageDraw.Draw(image)
for i, line in enumerate(lines):
    draw.text((pad, pad + i * step), line, font=font, fill="black")
out = io.BytesIO()
image.save(out, format="PNG")
sys.stdout.buffer.write(out.getvalue())
